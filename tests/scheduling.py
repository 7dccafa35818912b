"""How `make test` shares the test files between its workers (pytest-xdist, `--dist loadfile`).

A file's tests run together on one worker (they share module fixtures), and so do the files of
one group below (they share a session fixture too costly to make twice: the Spark cluster).
Units start longest first, so that no long one starts last while the other worker idles, and
a worker takes its next unit only when it has one test left (xdist's default, two, can queue a
long unit behind a worker's last long test while the other worker has nothing to do).
"""

from xdist.scheduler import LoadFileScheduling

# Files that run on one worker, as one unit: unit name -> files.
GROUPS = {
    "spark cluster": ("tests/test_spark_cluster.py", "tests/test_spark_cluster_import.py"),
}
# Seconds a unit took in a measured `make test` (the sum of its tests' times in pytest's
# --junitxml report, two workers, this machine). Only the order depends on them; a unit not
# named here counts a second per test.
SECONDS = {
    "tests/test_versions.py": 285,
    "spark cluster": 235,
    "tests/test_import.py": 165,
    "tests/test_engines_agree.py": 160,
    "tests/test_kill.py": 155,
    "tests/test_api_imports.py": 110,
    "tests/test_rebuild_under_load.py": 110,
    "tests/test_bad_workbooks.py": 85,
    "tests/test_pipeline.py": 75,
    "tests/test_outage.py": 70,
    "tests/test_website_update.py": 35,
    "tests/test_security.py": 30,
}
_GROUP_OF = {path: name for name, paths in GROUPS.items() for path in paths}


class LongestFirst(LoadFileScheduling):
    def _split_scope(self, nodeid: str) -> str:
        path = super()._split_scope(nodeid)
        return _GROUP_OF.get(path, path)

    def _cost(self, scope: str) -> float:
        return SECONDS.get(scope, len(self.workqueue[scope]))

    def _assign_work_unit(self, node) -> None:
        longest = max(self.workqueue, key=self._cost)
        self.workqueue.move_to_end(longest, last=False)
        super()._assign_work_unit(node)

    def _reschedule(self, node) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        # A worker runs a test once it knows the next one (or that none will come): one
        # pending test is its last.
        if self._pending_of(self.assigned_work[node]) > 1:
            return
        self._assign_work_unit(node)
