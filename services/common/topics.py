"""Every Kafka topic Tipline uses, in one place."""

REPORT_SUBMITTED = "tipline.report.submitted"
REPORT_STAGE = "tipline.report.stage"
DEAD_LETTER = "tipline.deadletter"

ALL_TOPICS = (REPORT_SUBMITTED, REPORT_STAGE, DEAD_LETTER)
