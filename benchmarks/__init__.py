"""Side-by-side benchmarks against the reference tools, on the network lab."""
