from cxhub.cli import app

app(prog_name="cxhub")
