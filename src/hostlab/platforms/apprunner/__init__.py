"""App Runner, the first platform: its tutorial helpers (resources.py). Its local emulation lives in
hostlab.local.platforms.apprunner, which the aws backend never imports."""
