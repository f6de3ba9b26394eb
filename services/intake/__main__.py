"""python -m services.intake"""

from services.common.http import serve
from services.common.settings import IntakeSettings
from services.intake.app import create_app

if __name__ == "__main__":
    settings = IntakeSettings()
    serve("intake", settings, create_app(settings), settings.http_port)
