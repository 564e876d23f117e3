from chainsaw_py.cli import run

run()
