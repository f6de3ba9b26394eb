"""python -m services.classifier: run the classifier as a faust worker."""

import faust

from services.classifier.app import create_app
from services.common.logs import configure_logging, dict_config
from services.common.settings import ClassifierSettings

if __name__ == "__main__":
    settings = ClassifierSettings()
    configure_logging("classifier", settings.log_level)
    worker = faust.Worker(
        create_app(settings),
        loglevel=settings.log_level,
        # faust would install its own coloured handler; keep our JSON lines instead.
        logging_config=dict_config("classifier", settings.log_level),
        redirect_stdouts=False,
        quiet=True,  # no banner or spinner: stdout carries JSON lines only
    )
    worker.execute_from_commandline()
