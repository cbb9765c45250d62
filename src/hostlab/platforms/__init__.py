"""Tutorial helpers per platform: how the demo app is deployed there, and waiters for its resources."""
