"""Stand-in for pypa's get-pip.py, used by ansible-test's --venv bootstrap.

ansible-test downloads its pip bootstrap script from a host this machine cannot reach; it uses
a cached copy when one exists. scripts/setup.sh installs this file as that cache: it bootstraps
pip with the standard library's ensurepip, then installs the pip version ansible-test asked for
from the package index, exactly as get-pip.py would.
"""
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

if __name__ == "__main__":
    # ensurepip points PIP_CONFIG_FILE at /dev/null for its own run; the real install must see
    # the machine's pip configuration (index, CA bundle), so it gets the environment we started with.
    environment = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=environment))
