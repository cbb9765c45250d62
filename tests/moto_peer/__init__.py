"""moto's own CloudFront and ACM tests, run against the local backend as a peer check (see runner.py)."""
