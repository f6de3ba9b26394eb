"""python -m services.classifier: run the classifier as a faust worker."""

import asyncio

import faust

from services.classifier.app import create_app
from services.common.logs import configure_logging, dict_config
from services.common.runtime import wait_for_infrastructure
from services.common.settings import ClassifierSettings

if __name__ == "__main__":
    settings = ClassifierSettings()
    configure_logging("classifier", settings.log_level)
    # faust exits at once ("Unable to bootstrap") without a broker: wait for it here instead.
    asyncio.run(wait_for_infrastructure(settings))
    worker = faust.Worker(
        create_app(settings),
        loglevel=settings.log_level,
        # faust would install its own coloured handler; keep our JSON lines instead.
        logging_config=dict_config("classifier", settings.log_level),
        redirect_stdouts=False,
        quiet=True,  # no banner or spinner: stdout carries JSON lines only
    )
    worker.execute_from_commandline()
