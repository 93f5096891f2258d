"""Run liveness and exit status (issue 14): the heartbeat file, sys.exit(n) with the module-level API."""
import json
import os
import signal
import sys
import time
import unittest

from test_mlsight import Base, Child, only_run_log, read_events, run_script, sub_env


class TestExitStatus(Base):
    def status_after(self, code):
        p = run_script(self.ws, """
            import sys, mlsight
            mlsight.log_metric("m", 1.0)
            sys.exit(%s)
        """ % code)
        ev = read_events(only_run_log(self, self.ws))
        return p.returncode, ev[-1]

    def test_sys_exit_nonzero_is_failed(self):
        rc, end = self.status_after("3")
        self.assertEqual(rc, 3)
        self.assertEqual((end["type"], end["status"]), ("end", "FAILED"))
        self.assertEqual(end["error"], "SystemExit: 3")

    def test_sys_exit_message_is_failed(self):
        rc, end = self.status_after("'bad input'")
        self.assertEqual(rc, 1)
        self.assertEqual(end["status"], "FAILED")

    def test_sys_exit_zero_and_none_are_finished(self):
        for code in ("0", "None"):
            for d in os.listdir(os.path.join(self.ws, ".mlsight")):
                if d == "runs":
                    import shutil
                    shutil.rmtree(os.path.join(self.ws, ".mlsight", d))
            rc, end = self.status_after(code)
            self.assertEqual(rc, 0)
            self.assertEqual(end["status"], "FINISHED", code)


class TestHeartbeat(Base):
    def test_heartbeat_is_rewritten_in_place_while_the_run_is_open(self):
        c = Child(self.ws, """
            import time, mlsight
            mlsight.log_param("x", 1)
            print("ready", flush=True)
            time.sleep(30)
        """, env=sub_env(MLSIGHT_HEARTBEAT_S="0.1"))
        try:
            c.wait_ready()
            log = only_run_log(self, self.ws)
            hb = os.path.join(os.path.dirname(log), "heartbeat")
            first = json.load(open(hb))
            self.assertEqual(first["pid"], c.p.pid)
            time.sleep(0.6)
            second = json.load(open(hb))
            self.assertGreater(second["ts"], first["ts"])
            self.assertLess(os.path.getsize(hb), 200, "bounded: one small file, replaced")
            self.assertEqual(sorted(os.listdir(os.path.dirname(log))).count("heartbeat.tmp"), 0)
        finally:
            c.p.send_signal(signal.SIGKILL)
            c.kill()
        # killed: no end event (ML Sight judges it from the pid and the heartbeat)
        self.assertNotIn("end", [e["type"] for e in read_events(only_run_log(self, self.ws), allow_torn=True)])

    def test_in_process_run_writes_a_heartbeat(self):
        run = self.start()
        hb = os.path.join(run.run_dir, "heartbeat")
        with open(hb) as f:
            data = json.load(f)
        self.assertEqual(data["pid"], os.getpid())
        self.assertIn("host", data)
        run.end()


if __name__ == "__main__":
    unittest.main()
