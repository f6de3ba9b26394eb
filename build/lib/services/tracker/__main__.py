"""python -m services.tracker"""

from services.common.http import serve
from services.common.settings import TrackerSettings
from services.tracker.api import create_app

if __name__ == "__main__":
    settings = TrackerSettings()
    serve("tracker", settings, create_app(settings), settings.http_port)
