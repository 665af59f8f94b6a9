"""Screenshots of every dashboard page, in Kazakh and Russian, on a desktop and a phone.

    .venv/bin/python docs/screenshots/take.py [--out docs/screenshots] [--home DIR]
    .venv/bin/python docs/screenshots/take.py --pages '' --light   # only the light pages
    .venv/bin/python docs/screenshots/take.py --pages '' --details   # only the details
    .venv/bin/python docs/screenshots/take.py --pages '' --check   # only the clerk's check

With `--light`, also the light page of the lookup's application (`/n/{number}`) on a phone
whose browser runs no JavaScript: `n-<lang>-phone.png`.

With `--check`, also what an akimat's clerk reads from `kezek update --check` on an export with
problems (Russian headers, a title row, an ignored file, no dataset.json), rendered as a terminal:
`check-<lang>.png`; alone, without publishing or serving anything.

With `--details`, also parts of pages on a desktop, each in one language (DETAILS): the data
dictionary in Kazakh (`dictionary-kk.png`) and an audit finding's evidence in Russian
(`evidence-ru.png`).

Publishes the Astana 2017 demo (`kezek update --source demo:astana-2017`) into a temporary
home (or a small generated dataset if that fails), serves it with `kezek serve` on a free
loopback port, and drives Debian's Chromium with Playwright. Files are named
`<page>-<lang>-<desktop|phone>.png` and stored as palette PNGs to stay small; `landing` is
the first screen a phone shows at `/` (what a parent sees before scrolling), phone only.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
KEZEK = [sys.executable, "-m", "kezek"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PAGES = ("landing", "overview", "lookup", "queue", "movement", "kindergartens", "vacancies", "audit", "open-data", "about")
LANGS = ("kk", "ru")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
MAX_HEIGHT = {"desktop": 3200, "phone": 5200}  # a long page is cut here: the top is what matters
MAX_BYTES = 200_000
# A part of a page: the page, its language, what it is opened on, and the catalog texts of where
# the part starts (a heading or a label) and of what ends it (the table below it).
DETAILS = {
    "dictionary": ("open-data", "kk", {"table": "queue"}, "open_data.dictionary"),
    "evidence": ("audit", "ru", {"finding": "out_of_order_offer"}, "audit.open"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def publish(home: Path) -> None:
    """The demo, else a generated dataset: the screenshots must never depend on the network."""
    done = subprocess.run([*KEZEK, "update", "--source", "demo:astana-2017", "--home", str(home)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode == 0:
        print(done.stdout.splitlines()[0])
        return
    print(f"demo failed ({done.stderr.strip()[:200]}); publishing a generated dataset instead", file=sys.stderr)
    folder = home.parent / "generated"
    generate(folder)
    done = subprocess.run([*KEZEK, "update", "--source", str(folder), "--home", str(home)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"take.py: `kezek update` publishes nothing ({done.stderr.strip()[:300]}); "
                         "pass --home DIR with a published snapshot")


def generate(folder: Path) -> None:
    """A small, deterministic dataset in the open-data format (two localities, five years)."""
    import random

    rng = random.Random(2017)
    folder.mkdir(parents=True, exist_ok=True)
    kgs, vacancies, apps = [], [], []
    districts = ("Алматы", "Байқоңыр", "Есіл", "Сарыарқа")
    for i in range(1, 25):
        kgs.append({"kindergarten_id": f"K{i:02d}", "name_kk": f"№{i} «Балапан» балабақшасы",
                    "name_ru": f"Ясли-сад №{i} «Балапан»", "region": "Астана", "district": districts[i % 4],
                    "ownership": "state" if i % 3 else "private_state_order", "languages": "kk|ru",
                    "capacity": 120 + 10 * i, "latitude": 51.1 + rng.random() / 10,
                    "longitude": 71.35 + rng.random() / 5})
    for b in range(1, 80):
        vacancies.append({"bulletin_id": f"B{b:03d}", "kindergarten_id": f"K{rng.randint(1, 24):02d}",
                          "announced_at": f"2017-04-{rng.randint(10, 28):02d} 09:00",
                          "birth_year": rng.choice((2011, 2012, 2013, 2014, 2015)),
                          "language": rng.choice(("kk", "ru")), "seats": rng.randint(1, 25)})
    for n in range(1, 3001):
        born = rng.choice((2011, 2012, 2013, 2014, 2015))  # registered in 2016, after birth
        apps.append({"application_number": f"УО.2016.{n:06d}.1", "region": "Астана",
                     "birth_date": f"{born}-0{rng.randint(1, 9)}-15",
                     "registered_at": f"2016-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:{n % 60:02d}",
                     "privilege": rng.choices(("none", "first", "extraordinary"), (90, 8, 2))[0],
                     "status": "queued"})
    for name, rows in (("kindergartens", kgs), ("vacancies", vacancies), ("applications", apps)):
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def examples(home: Path, app: str | None = None) -> dict[str, dict[str, str]]:
    """The query parameters that make each page show something: `app`, else an application in
    the middle of the largest queue (where rules number it), else one with the most places a
    city published in chosen kindergartens' queues; the kindergarten with the most bulletins."""
    from engine.store import current

    with duckdb.connect(str(current(home).path), read_only=True) as con:
        number = app or (con.execute(
            "SELECT application_number FROM queue "
            "ORDER BY segment_size DESC, abs(queue_number - 1234), application_number LIMIT 1").fetchone() or con.execute(
            "SELECT application_number FROM positions WHERE queue_id IS NOT NULL "
            "GROUP BY ALL ORDER BY count(*) DESC, application_number LIMIT 1").fetchone())[0]
        kg = con.execute(
            "SELECT kindergarten_id FROM vacancies GROUP BY ALL "
            "ORDER BY count(*) DESC, kindergarten_id LIMIT 1").fetchone()[0]
    return {"lookup": {"app": number}, "queue": {"number": number}, "kindergartens": {"kg": kg}}


def serve(home: Path):
    port = free_port()
    proc = subprocess.Popen([*KEZEK, "serve", "--home", str(home), "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("kezek serve did not start")
            time.sleep(0.3)


def settle(page) -> None:
    """Wait until Streamlit has finished running the page and the charts are drawn."""
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)
    page.wait_for_timeout(1500)  # Plotly and the data grid draw after the script has run


def shoot(page, path: Path, kind: str) -> None:
    """The whole page (Streamlit scrolls inside its main block, so grow the viewport to it)."""
    width, height = SIZES[kind]
    full = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
        " return Math.max(m.scrollHeight, document.body.scrollHeight); }")
    page.set_viewport_size({"width": width, "height": min(max(height, int(full) + 40), MAX_HEIGHT[kind])})
    page.wait_for_timeout(800)
    save_small(page.screenshot(), path)
    page.set_viewport_size({"width": width, "height": height})


def save_small(png: bytes, path: Path) -> None:
    """A palette PNG below MAX_BYTES (the pages are mostly flat colour)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (128, 64, 32):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, format="PNG", optimize=True)
        if out.tell() <= MAX_BYTES:
            break
    else:  # still too big: keep the top of the page
        top = image.crop((0, 0, image.width, image.height * 2 // 3))
        out = io.BytesIO()
        top.quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, format="PNG", optimize=True)
    path.write_bytes(out.getvalue())


def clerk_export(folder: Path) -> None:
    """An export as a clerk might first save it: Russian headers, dates as dd.mm.yyyy, a title
    row above the applications' headers, 44 rows of a privilege the format does not know, a
    number of places that is not a number, a bulletin of a kindergarten the register lacks, a
    file under a name that is no table's, and no dataset.json."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "kindergartens": [{"Код организации": "K1", "Наименование": "Ясли-сад №1 «Балапан»", "Регион": "Астана",
                           "Форма собственности": "Государственный", "Языки обучения": "kk|ru"}],
        "vacancies": [{"Номер бюллетеня": b, "Код организации": k, "Дата публикации": "10.04.2017 09:00",
                       "Год рождения": "2015", "Язык обучения": "Казахский", "Количество мест": seats}
                      for b, k, seats in (("B1", "K1", "много"), ("B2", "K7", "3"))],
        "applications": [{"Номер заявления": f"УО.2016.{i:06d}.1", "Регион": "Астана", "Дата рождения": "15.01.2015",
                          "Дата регистрации": "31.02.2016 10:00" if i == 5 else f"01.02.2016 10:{i:02d}",
                          "Льгота": "Многодетная" if i >= 10 else "Без льготы", "Статус": "В очереди"}
                         for i in range(1, 54)],
    }
    for name, rows in tables.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            if name == "applications":
                fh.write("Список заявлений на 05.06.2017;;;;;\n;;;;;\n")  # a title and a blank row
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
            writer.writeheader()
            writer.writerows(rows)
    (folder / "Заявления (копия).csv").write_text("Номер заявления\n", encoding="utf-8")


def terminal(command: str, output: str) -> str:
    """A page that shows a command and what it printed as a terminal does."""
    import html

    return ("<!doctype html><meta charset=utf-8><style>body{margin:0;background:#1e1e1e}"
            "pre{margin:0;padding:20px 24px;color:#e6e6e6;font:15px/1.45 'DejaVu Sans Mono',monospace;"
            "white-space:pre-wrap;word-break:break-word}b{color:#8ae234;font-weight:normal}</style>"
            f"<pre><b>$ {html.escape(command)}</b>\n{html.escape(output)}</pre>")


def check_output(browser, langs: list[str], out: Path) -> None:
    """`kezek update --check --lang L` on clerk_export, as a terminal shows it: check-<lang>.png."""
    with tempfile.TemporaryDirectory(prefix="kezek-check-shot-") as tmp:
        folder = Path(tmp) / "выгрузка"
        clerk_export(folder)
        page = browser.new_page(viewport={"width": 1100, "height": 400}, device_scale_factor=1)
        for lang in langs:
            args = ["update", "--check", "--source", "выгрузка/", "--lang", lang]
            done = subprocess.run([*KEZEK, *args, "--home", "data"], capture_output=True, text=True, cwd=tmp,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            page.set_content(terminal(f"kezek {' '.join(args)}", done.stdout + done.stderr + f"$ echo $?\n{done.returncode}"))
            height = page.evaluate("() => document.documentElement.scrollHeight")
            page.set_viewport_size({"width": 1100, "height": int(height)})
            path = out / f"check-{lang}.png"
            save_small(page.screenshot(), path)
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size // 1024} KB")
        page.close()
def first_finding(home: Path, kind: str) -> str:
    """The id of the first finding of a kind (the audit page opens it with ?finding=ID)."""
    from engine.store import current

    with duckdb.connect(str(current(home).path), read_only=True) as con:
        found = con.execute("SELECT min(finding_id) FROM findings WHERE type = ?", [kind]).fetchone()[0]
    if found is None:
        raise SystemExit(f"take.py: the publication has no finding of type {kind}")
    return str(found)


def details(browser, base: str, home: Path, out: Path) -> None:
    """Each part of DETAILS: from its starting text to the bottom of the first table below it."""
    from i18n import t

    width, height = SIZES["desktop"]
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    for name, (view, lang, params, start) in DETAILS.items():
        params = {k: first_finding(home, v) if k == "finding" else v for k, v in params.items()}
        query = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in {"lang": lang, **params}.items())
        page.goto(f"{base}/{view}?{query}")
        settle(page)
        full = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
                             " return Math.max(m.scrollHeight, document.body.scrollHeight); }")
        page.set_viewport_size({"width": width, "height": max(height, int(full) + 40)})
        page.wait_for_timeout(1500)  # the grids draw again at the new size
        top = page.get_by_text(t(start, lang), exact=True).first.bounding_box()
        below = [b for b in (g.bounding_box() for g in page.locator('[data-testid="stDataFrame"]').all())
                 if b and b["y"] > top["y"]]
        bottom = min(below, key=lambda b: b["y"]) if below else top
        clip = {"x": 0, "y": max(0, top["y"] - 24), "width": width,
                "height": bottom["y"] + bottom["height"] + 24 - max(0, top["y"] - 24)}
        path = out / f"{name}-{lang}.png"
        save_small(page.screenshot(clip=clip), path)
        page.set_viewport_size({"width": width, "height": height})
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size // 1024} KB")
    context.close()


def light(browser, base: str, number: str, langs: list[str], out: Path) -> None:
    """The light page as a phone without JavaScript shows it: the whole page, from the top, once
    its last changes and forecast are made (a first visit has them made in the background)."""
    width, height = SIZES["phone"]
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  java_script_enabled=False)
    page = context.new_page()
    for lang in langs:
        address = f"{base}/n/{urllib.request.quote(number)}?lang={lang}"
        for _ in range(120):  # a visit a second until the page is whole
            answer = page.goto(address)
            if not answer.headers.get("etag", "").endswith('.pending"'):
                break
            page.wait_for_timeout(1000)
        page.wait_for_selector("h1", timeout=60_000)
        path = out / f"n-{lang}-phone.png"
        full = page.evaluate("() => document.documentElement.scrollHeight")
        page.set_viewport_size({"width": width, "height": min(max(height, int(full)), MAX_HEIGHT["phone"])})
        save_small(page.screenshot(), path)
        page.set_viewport_size({"width": width, "height": height})
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size // 1024} KB")
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--home", type=Path, help="a home with a published snapshot (default: publish the demo)")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--langs", default=",".join(LANGS))
    parser.add_argument("--app", help="the application the lookup and queue pages show")
    parser.add_argument("--sizes", default=",".join(SIZES), help="desktop, phone or both")
    parser.add_argument("--light", action="store_true", help="also /n/{number} on a phone, JavaScript off")
    parser.add_argument("--check", action="store_true", help="also `kezek update --check` on a faulty export")
    parser.add_argument("--details", action="store_true", help="also the parts of pages in DETAILS")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.check:
        from playwright.sync_api import sync_playwright

        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            check_output(browser, args.langs.split(","), args.out)
            browser.close()
        if not args.pages and not args.light:
            return 0

    with tempfile.TemporaryDirectory(prefix="kezek-shots-") as tmp:
        home = args.home
        if home is None:
            home = Path(tmp) / "home"
            publish(home)
        extra = examples(home, args.app)
        proc, base = serve(home)
        try:
            from playwright.sync_api import sync_playwright

            args.out.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                for kind in args.sizes.split(","):
                    width, height = SIZES[kind]
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  device_scale_factor=1, locale="kk-KZ")
                    page = context.new_page()
                    for name in filter(None, args.pages.split(",")):
                        if name == "landing" and kind != "phone":
                            continue
                        for lang in args.langs.split(","):
                            params = {"lang": lang, **extra.get(name, {})}
                            query = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in params.items())
                            page.goto(f"{base}/{'' if name in ('overview', 'landing') else name}?{query}")
                            settle(page)
                            path = args.out / f"{name}-{lang}-{kind}.png"
                            if name == "landing":  # the first screen only, as the phone shows it
                                save_small(page.screenshot(), path)
                            else:
                                shoot(page, path, kind)
                            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                                  f"{path.stat().st_size // 1024} KB")
                    context.close()
                if args.light:
                    light(browser, base, extra["lookup"]["app"], args.langs.split(","), args.out)
                if args.details:
                    details(browser, base, home, args.out)
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
