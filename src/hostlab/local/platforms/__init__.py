"""The platforms a host-routed origin can run on, each with its control plane and its front."""
