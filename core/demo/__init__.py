"""Demo data: synthetic invoices for the demo workspace, tests and benchmarks."""
