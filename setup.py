"""The build steps of the wheel (the metadata is in pyproject.toml).

Before the package's files are gathered, build_assets.py copies the npm packages' files
the pages use into the package's static folder and compiles the translations, so that
an installed wheel serves everything without node_modules or gettext.
"""

import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import FileError

ASSETS = runpy.run_path(str(Path(__file__).resolve().parent / "build_assets.py"))


class BuildPyWithAssets(build_py):
    def run(self):
        # An editable install (`make install`) reads the checkout: `make assets` fills it.
        if getattr(self, "editable_mode", False):
            return super().run()
        try:
            ASSETS["build"]()
        except ASSETS["AssetError"] as error:
            raise FileError(str(error)) from error
        # The package data is listed after the files exist (the list is computed lazily).
        self.__dict__.pop("data_files", None)
        super().run()


setup(cmdclass={"build_py": BuildPyWithAssets})
