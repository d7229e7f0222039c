"""vanthu: the records office (văn thư) of a People's Procuracy, run entirely by official email.

The code lives in the repository's top-level folders — the architecture — and is installed as one
namespace: ``vanthu.worker`` (the process), ``vanthu.mailflows`` (one module per kind of mail),
``vanthu.models`` (the domain and its storage), ``vanthu.cron`` (scheduled jobs), ``vanthu.templates``
(every email and printed register), ``vanthu.demo`` (the demonstration and its throwaway PKI) and
``vanthu.examples`` (example configurations, as data). In a checkout, the entries of this folder are
links to those folders, so the same import names work with or without installing.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vanthu")
except PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+unknown"
