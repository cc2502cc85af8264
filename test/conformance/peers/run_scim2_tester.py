"""Runs the third-party scim2-tester suite against one SCIM base URL; prints one JSON document of the results.

usage: python run_scim2_tester.py BASE_URL TOKEN   (with the Python of scripts/install-scim2-tester.sh)
"""
import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server


def main() -> None:
    url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    out = []
    for result in results:
        out.append(
            {
                "status": result.status.name,
                "title": getattr(result, "title", None),
                "reason": getattr(result, "reason", None),
                "resource_type": getattr(result, "resource_type", None),
            }
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
