"""Every Kafka topic Tipline uses, in one place."""

REPORT_SUBMITTED = "tipline.report.submitted"
REPORT_STAGE = "tipline.report.stage"
# Every read of decrypted report content or a file by staff: who, which report, which fields, why.
ACCESS = "tipline.access"
DEAD_LETTER = "tipline.deadletter"

ALL_TOPICS = (REPORT_SUBMITTED, REPORT_STAGE, ACCESS, DEAD_LETTER)
