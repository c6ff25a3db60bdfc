"""Maps the two import packages onto their folders (pyproject.toml holds everything else).

``hyperscore.evaluators`` lives in ``evaluators/`` and ``hyperscore.operator`` in ``operator/``;
``hyperscore`` is a PEP 420 namespace, so no top-level ``operator`` package ever exists.
"""

from setuptools import find_packages, setup

FOLDERS = {"hyperscore.evaluators": "evaluators", "hyperscore.operator": "operator"}

packages = []
for name, folder in FOLDERS.items():
    packages.append(name)
    packages.extend(f"{name}.{sub}" for sub in find_packages(folder))

setup(packages=packages, package_dir=FOLDERS)
