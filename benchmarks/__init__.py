"""`make bench`: the figures of DESIGN.md section 6 (cold start, DynamoDB round trips, the morning run's
reads, the Lambda package, `make run` readiness), measured in one run and printed as a short report.

Timings are ratios to a floor measured in the same run and medians of repeats: the absolute numbers of a
shared machine mean little, their proportions hold."""
