import os, runpy, sys
sys.argv = ["statement.py", "floor-signature"]
runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "statement.py"), run_name="__main__")
