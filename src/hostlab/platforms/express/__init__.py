"""ECS Express Mode, the second platform: its tutorial helpers so far (service.py: the demo app as an Express
service; waiters.py: Express waiters built on botocore's). Its local emulation lives in
hostlab.local.platforms.express, which the aws backend never imports."""
