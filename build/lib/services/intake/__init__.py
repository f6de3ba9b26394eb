"""Intake: accepts reports from every channel and hands them to the pipeline."""
