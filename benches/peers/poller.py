"""The peers of benches/peers.sh: what a user would otherwise run to log an EAGLE.

    poller.py aioeagle|requests HOST:PORT CLOUD_ID INSTALL_CODE INTERVAL_S OUT_FILE

`aioeagle` is the library Home Assistant's integration uses (one device_list, then
device_query with <All>Y</All> per poll); `requests` is the seed-style loop (POST a
device_query every interval). Both poll on a fixed grid and append one JSON line per reading
to OUT_FILE (flushed, not fsynced), until SIGTERM.
"""

import asyncio
import json
import signal
import sys
import time

VARIABLES = ("zigbee:InstantaneousDemand", "zigbee:CurrentSummationDelivered")


def write(out, values):
    out.write(json.dumps({"time": time.time(), **values}) + "\n")
    out.flush()


async def run_aioeagle(host, cloud_id, install_code, interval, out):
    import aiohttp
    from aioeagle import EagleHub

    async with aiohttp.ClientSession() as session:
        hub = EagleHub(session, cloud_id, install_code, host=host)
        meter = (await hub.get_device_list())[0]
        start = time.monotonic()
        k = 0
        while True:
            k += 1
            data = await meter.get_device_query()
            write(out, {v: data[v]["Value"] for v in VARIABLES if v in data})
            await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))


def run_requests(host, cloud_id, install_code, interval, out):
    import re

    import requests

    url = f"http://{host}/cgi-bin/post_manager"
    # The seed-style loop hard-codes the meter address it was set up with.
    listing = requests.post(
        url, data="<Command><Name>device_list</Name></Command>", auth=(cloud_id, install_code)
    ).text
    address = re.search(r"<HardwareAddress>(.*?)</HardwareAddress>", listing).group(1)
    query = (
        "<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>"
        f"{address}</HardwareAddress></DeviceDetails><Components><All>Y</All>"
        "</Components></Command>"
    )
    session = requests.Session()
    start = time.monotonic()
    k = 0
    while True:
        k += 1
        body = session.post(url, data=query, auth=(cloud_id, install_code)).text
        values = {}
        for v in VARIABLES:
            m = re.search(rf"<Name>{v}</Name>\s*<Value>(.*?)</Value>", body)
            if m:
                values[v] = m.group(1)
        write(out, values)
        time.sleep(max(0.0, start + k * interval - time.monotonic()))


def main():
    client, host, cloud_id, install_code, interval, path = sys.argv[1:7]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(path, "a", encoding="utf-8") as out:
        if client == "aioeagle":
            asyncio.run(run_aioeagle(host, cloud_id, install_code, float(interval), out))
        else:
            run_requests(host, cloud_id, install_code, float(interval), out)


if __name__ == "__main__":
    main()
