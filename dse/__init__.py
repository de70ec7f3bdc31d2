"""Design-space exploration: workloads, analytic models, searches and reports."""
