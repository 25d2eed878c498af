"""Check Google Cloud credentials for a DVC remote: `python -m t5mt.gcs_auth [remote]`.

Without credentials, dvc-gs falls back to anonymous access, and `dvc push`/`dvc pull` fail late
with an access error, or wait on the network. This check fails in seconds instead, with one
`error:` line that says how to provide credentials; run it first: `python -m t5mt.gcs_auth gcs &&
dvc push -r gcs`.
"""

import argparse
from pathlib import Path

import google.auth
from dvc.config import Config
from google.auth.exceptions import DefaultCredentialsError

from t5mt.cli import reported_errors
from t5mt.errors import T5mtError

HOW_TO_AUTHENTICATE = (
    "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a"
    " service-account key file, or `dvc remote modify --local {remote} credentialpath <key.json>`"
)


def check_credentials(remote: str = "gcs", repo: Path = Path(".")) -> str:
    """How the DVC remote `remote` of the repository at `repo` will authenticate.

    Raises T5mtError when the remote does not exist, is not on Google Cloud Storage, names a
    missing key file, or when no application default credentials are found.
    """
    if not (repo / ".dvc").is_dir():
        raise T5mtError(f"{repo.resolve()} is not a DVC repository (it has no .dvc folder)")
    remotes = Config(dvc_dir=str(repo / ".dvc"))["remote"]
    if remote not in remotes:
        raise T5mtError(f"no DVC remote named '{remote}' (remotes: {', '.join(remotes) or 'none'})")
    settings = remotes[remote]
    if not settings["url"].startswith("gs://"):
        raise T5mtError(f"DVC remote '{remote}' is not on Google Cloud Storage: {settings['url']}")
    if settings.get("endpointurl"):
        return f"the endpoint {settings['endpointurl']} (no Google credentials needed)"
    if settings.get("allow_anonymous_login"):
        return "anonymous access (allow_anonymous_login)"
    key_file = settings.get("credentialpath")
    if key_file:
        if not Path(key_file).is_file():
            raise T5mtError(f"DVC remote '{remote}': credentialpath {key_file} is not a file")
        return f"the key file {key_file}"
    try:
        _, project = google.auth.default()
    except DefaultCredentialsError:
        raise T5mtError(
            f"no Google Cloud credentials for DVC remote '{remote}' ({settings['url']}): "
            + HOW_TO_AUTHENTICATE.format(remote=remote)
        ) from None
    return f"application default credentials (project {project or 'not set'})"


def main() -> None:
    """Command-line entrypoint."""
    parser = argparse.ArgumentParser(prog="python -m t5mt.gcs_auth", description=__doc__)
    parser.add_argument("remote", nargs="?", default="gcs", help="DVC remote name (default: gcs)")
    args = parser.parse_args()
    with reported_errors():
        print(f"DVC remote '{args.remote}' authenticates with {check_credentials(args.remote)}")


if __name__ == "__main__":
    main()
