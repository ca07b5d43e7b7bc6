"""A throwaway PostgreSQL 15 with wal2json for tests: initdb in a temporary
folder, wal_level=logical, a Unix socket only (no TCP port), stopped at the
end. As root the server runs as the postgres user (runuser), as PostgreSQL
refuses to run as root.

Exit status 77 (CTest's SKIP_RETURN_CODE) when PostgreSQL 15 or wal2json is
not installed: scripts/setup installs them.
"""
import os
import shutil
import subprocess
import sys
import tempfile

PG_BIN = os.environ.get("UNBUNDLED_PG_BIN", "/usr/lib/postgresql/15/bin")
# scripts/test sets UNBUNDLED_REQUIRE_POSTGRES: there (and so in CI) a missing
# server fails the test instead of skipping it, so a broken install cannot
# pass unnoticed.
SKIP = 1 if os.environ.get("UNBUNDLED_REQUIRE_POSTGRES") else 77


def _skip_unless_installed():
    missing = [p for p in ("initdb", "pg_ctl", "postgres") if not os.path.exists(os.path.join(PG_BIN, p))]
    if missing:
        print(f"SKIP: PostgreSQL 15 is not installed ({PG_BIN}: no {', '.join(missing)}); run scripts/setup")
        sys.exit(SKIP)
    libdir = subprocess.run([os.path.join(PG_BIN, "pg_config") if os.path.exists(os.path.join(PG_BIN, "pg_config"))
                             else "pg_config", "--pkglibdir"], capture_output=True, text=True).stdout.strip()
    if not os.path.exists(os.path.join(libdir or "/usr/lib/postgresql/15/lib", "wal2json.so")):
        print("SKIP: wal2json is not installed (postgresql-15-wal2json); run scripts/setup")
        sys.exit(SKIP)
    for tool in ("psql", "pg_recvlogical"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} is not installed (postgresql-client-15); run scripts/setup")
            sys.exit(SKIP)


class Server:
    def __init__(self, name="unbundled-pg"):
        _skip_unless_installed()
        self.root = tempfile.mkdtemp(prefix=name + "-")
        self.data = os.path.join(self.root, "data")
        self.sock = os.path.join(self.root, "sock")
        self.port = 5432  # only names the socket file: there is no TCP listener
        os.makedirs(self.sock)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            # The server runs as postgres: it needs the folders.
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
        self._run_pg(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"])
        opts = f"-c wal_level=logical -c listen_addresses='' -k {self.sock} -p {self.port} -c fsync=off"
        # PostgreSQL 15.20 loads only the output plugins it lists; earlier
        # 15.x releases refuse the setting as unknown.
        described = subprocess.run(self._cmd(["postgres", "--describe-config"]), capture_output=True,
                                   text=True).stdout
        self.plugin_setting = any(line.split("\t")[0] == "output_plugin_libraries"
                                  for line in described.splitlines())
        if self.plugin_setting:
            opts += " -c output_plugin_libraries=pgoutput,test_decoding,wal2json"
        self._run_pg(["pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.root, "server.log"),
                      "-o", opts, "start"])
        self.dsn = f"host={self.sock} port={self.port} user=postgres dbname=postgres"

    def _cmd(self, argv):
        argv = [os.path.join(PG_BIN, argv[0])] + argv[1:]
        return ["runuser", "-u", "postgres", "--"] + argv if self.as_root else argv

    def _run_pg(self, argv):
        r = subprocess.run(self._cmd(argv), capture_output=True, text=True, cwd=self.root)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{r.stdout}{r.stderr}")

    def psql(self, sql, check=True):
        """Runs SQL (one script) and returns its unaligned, tuples-only output."""
        r = subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", self.dsn],
                           input=sql, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"psql failed ({r.returncode}): {r.stderr}")
        return r.stdout

    def stop(self):
        try:
            self._run_pg(["pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
