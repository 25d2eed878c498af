"""Reports over run folders: `python -m t5mt.runs ls|show|compare|best|plot|report|reproduce`.

They read runs through the run-folder contract (t5mt.run_folder) and never write into a run.
"""
