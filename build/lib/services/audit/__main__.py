"""python -m services.audit"""

from services.audit.api import create_app
from services.common.http import serve
from services.common.settings import AuditSettings

if __name__ == "__main__":
    settings = AuditSettings()
    serve("audit", settings, create_app(settings), settings.http_port)
