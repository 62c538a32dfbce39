"""Real servers the tests start on 127.0.0.1 and stop again: a single-node SLURM cluster
(:mod:`.slurm`), a WebDAV server and an OpenSSH server for DVC remotes (:mod:`.dvc_remotes`)."""
