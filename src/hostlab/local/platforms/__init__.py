"""Host-routed platforms of the local backend, one package each (control-plane extension and front)."""
