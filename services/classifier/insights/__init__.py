"""The industry information section: a read model of classified and concluded reports, kept
current from events, and the questions analysts and supervisors ask of it
(docs/industry-insights.md)."""
