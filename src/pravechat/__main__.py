from pravechat.cli import run

run()
