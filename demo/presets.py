"""The demo presets: places, sizes, shares and dates (documented, with sources, in `demo`).

The rule values come from the engine ruleset a preset names (demo.ruleset_values); what is here is
the simulation's own: how many, how often, when.
"""

from __future__ import annotations

from dataclasses import dataclass, field


# The rules each preset obeys are an engine ruleset (engine/rulesets/*.toml), named here and
# read by demo.ruleset_values; dataset.json names it too.
# Astana, spring 2017 (seed 000): 15 working days to choose.
ASTANA_2017 = "astana-2017"
# Almaty's unified queue (seed 004) under the national portal's instructions of the time
# (seed 003): 3 working days, the applicant stays in the queue. Not `kz-2019`: that
# ruleset (district portals, seed 001) adds the stop-list after a missed window and the
# yearly confirmation of interest, which this preset does not simulate.
ALMATY_2018 = "almaty-2018"
# Rules No. 254 and the national instructions (seed 002): the same day until 20:00, up to 6.
# Not `kz-2024`: the 2024 voucher rules give 2 working days and make a missed window
# inactive, which this preset does not simulate.
KZ_2020 = "kz-2020"


@dataclass(frozen=True)
class Locality:
    region: str
    name: str
    lat: float
    lon: float
    weight: float  # share of the preset's applications and organisations
    phone_code: str
    districts: tuple[tuple[str, float, float], ...] = ()  # (name, lat, lon) of the district centre
    spread: float = 0.02  # degrees around the district / locality centre
    app_language: tuple[float, float, float] = (0.5, 0.3, 0.2)  # kk, ru, any
    kg_language: tuple[float, float, float] = (0.45, 0.15, 0.40)  # kk, ru, kk|ru
    box: tuple[float, float, float, float] | None = None  # lat_min, lat_max, lon_min, lon_max


@dataclass(frozen=True)
class Wave:
    """A campaign of places for one birth year (astana-2017: exact totals)."""

    birth_year: int
    seats: int
    date: str  # first announcement day; bulletins follow within `spread_wd` working days
    spread_wd: int = 3


@dataclass(frozen=True)
class Preset:
    name: str
    seed: int
    ruleset: str  # the engine ruleset the simulation obeys (demo.ruleset_values)
    title: str
    region: str  # dataset.json region
    exported_at: str  # ISO local time of the export; events cover the year before it
    localities: tuple[Locality, ...]
    organisations: dict  # ownership -> count (state includes `departmental`)
    departmental: int
    cohorts: dict  # birth_year -> (applications, share registered in the last year)
    aged_cohorts: tuple[int, ...] = ()  # birth years present only as children ageing out in the year
    waves: tuple[Wave, ...] = ()  # fixed campaign (exact totals) ...
    seats_per_application: float = 0.0  # ... or places per year as a share of a segment
    wave_months: tuple[int, ...] = ()  # months of the main placement wave (rate campaigns)
    wave_share: float = 0.0
    registration_delay_days: float = 75.0  # typical gap between birth and registration
    extraordinary: float = 0.02
    first: float = 0.08
    privilege_change: float = 0.01
    withdrawn: float = 0.04
    removed: float = 0.004
    private_state_order: float = 0.0  # share of eligible applications placed by A6
    private_state_order_from: str = ""  # date the A6 channel starts in the data
    take: float = 0.9  # a notified applicant takes the place in the window
    annul: float = 0.03  # a referral expires unused (-> stop-list)
    cancel: float = 0.02  # the parent cancels the referral within a day
    privilege_fail: float = 0.04  # a privileged referral is not confirmed (A5)
    free_fill: float = 0.85  # share of untaken places filled by free choice
    staff_child: float = 0.0  # share of untaken places going to children of staff
    max_seats: int = 30
    mean_seats: float = 8.0
    plant: int = 2  # violations of each type planted on purpose (demo.planting)
    extra: dict = field(default_factory=dict)


ASTANA_BOX = (51.08, 51.22, 71.35, 71.55)

ASTANA = Locality(
    "Астана", "Астана", 51.15, 71.44, 1.0, "7172",
    districts=(("Есіл", 51.105, 71.415), ("Алматы", 51.150, 71.505),
               ("Сарыарқа", 51.185, 71.395), ("Байқоңыр", 51.175, 71.460)),
    spread=0.012, app_language=(0.52, 0.30, 0.18), kg_language=(0.45, 0.15, 0.40), box=ASTANA_BOX,
)

ALMATY = Locality(
    "Алматы", "Алматы", 43.24, 76.89, 1.0, "727",
    districts=(("Алатау", 43.290, 76.850), ("Алмалы", 43.250, 76.910), ("Әуезов", 43.220, 76.850),
               ("Бостандық", 43.210, 76.910), ("Жетісу", 43.290, 76.940), ("Медеу", 43.240, 76.980),
               ("Наурызбай", 43.190, 76.800), ("Түрксіб", 43.330, 76.960)),
    spread=0.012, app_language=(0.45, 0.40, 0.15), kg_language=(0.35, 0.25, 0.40),
    box=(43.15, 43.38, 76.72, 77.05),
)

ASTANA_2017_PRESET = Preset(
    name="astana-2017",
    seed=20170605,
    ruleset=ASTANA_2017,
    title="Kezek demo: Astana, spring 2017 placement campaign (synthetic data)",
    region="Астана",
    exported_at="2017-06-05T08:00:00",
    localities=(ASTANA,),
    # informburo.kz, early 2017: 96 state + 2 departmental, 116 private, 49 mini-centres.
    organisations={"state": 98, "private_state_order": 96, "private": 20, "mini_centre": 49},
    departmental=2,
    # applications per birth year (incl. those who leave during the year) and the share of
    # them registered in the last year (about 90 a day, informburo.kz).
    cohorts={
        2009: (160, 0.0), 2010: (330, 0.05),
        2011: (1150, 0.70), 2012: (3000, 0.72), 2013: (4200, 0.72), 2014: (6950, 0.72),
        2015: (7750, 0.62), 2016: (10400, 0.22), 2017: (8400, 0.0),
    },
    aged_cohorts=(2009, 2010),
    # seed 000 (Sputnik, 28.03.2017): places per birth year and first day of referrals.
    waves=(Wave(2015, 1240, "2017-04-10"), Wave(2014, 2233, "2017-04-12"), Wave(2013, 1340, "2017-04-18"),
           Wave(2012, 1111, "2017-04-21"), Wave(2011, 386, "2017-04-25")),
    registration_delay_days=75.0,
    # seed 000: automatic referrals to private kindergartens with state order since 05.01.2017.
    private_state_order=0.14,
    private_state_order_from="2017-01-05",
    take=0.9,
    free_fill=0.8,
    staff_child=0.03,
)

ALMATY_PRESET = Preset(
    name="almaty",
    seed=20180125,
    ruleset=ALMATY_2018,
    title="Kezek demo: Almaty unified city queue, 2018 (synthetic data)",
    region="Алматы",
    exported_at="2019-01-25T08:00:00",
    localities=(ALMATY,),
    # about 2020: 189 state, 399 private, 236 mini-centres (824); scaled to ~850.
    organisations={"state": 195, "private_state_order": 340, "private": 71, "mini_centre": 244},
    departmental=4,
    cohorts={
        2011: (700, 0.0), 2012: (2000, 0.35), 2013: (5000, 0.45), 2014: (7500, 0.45),
        2015: (9500, 0.42), 2016: (11500, 0.35), 2017: (15500, 0.05), 2018: (12500, 0.0),
    },
    aged_cohorts=(2011,),
    seats_per_application=0.30,
    wave_months=(6, 7, 8),  # inva.kz 20.05.2019: placement in waves by birth year
    wave_share=0.6,
    private_state_order=0.12,
    private_state_order_from="2018-01-25",
    take=0.8,
    free_fill=0.9,
    staff_child=0.01,
)


def _loc(region, name, lat, lon, weight, code, lang=(0.5, 0.3, 0.2), kg=(0.45, 0.15, 0.40), districts=(), spread=0.03):
    return Locality(region, name, lat, lon, weight, code, districts=districts, spread=spread,
                    app_language=lang, kg_language=kg)


_SOUTH = dict(lang=(0.75, 0.12, 0.13), kg=(0.70, 0.05, 0.25))
_WEST = dict(lang=(0.70, 0.15, 0.15), kg=(0.60, 0.10, 0.30))
_NORTH = dict(lang=(0.35, 0.45, 0.20), kg=(0.30, 0.25, 0.45))
_CENTRE = dict(lang=(0.50, 0.32, 0.18), kg=(0.45, 0.15, 0.40))

# Regions of Kazakhstan (2024): 3 cities of republican significance and 17 oblasts, with
# several localities each; weights roughly follow the population.
NATIONAL_LOCALITIES = (
    _loc("Астана", "Астана", 51.15, 71.44, 0.085, "7172", districts=(
        ("Алматы", 51.150, 71.505), ("Байқоңыр", 51.175, 71.460), ("Есіл", 51.105, 71.415),
        ("Сарыарқа", 51.185, 71.395), ("Нұра", 51.080, 71.480)), spread=0.012, **_CENTRE),
    _loc("Алматы", "Алматы", 43.24, 76.89, 0.115, "727", districts=ALMATY.districts, spread=0.012, **_CENTRE),
    _loc("Шымкент", "Шымкент", 42.32, 69.59, 0.075, "7252", districts=(
        ("Абай", 42.340, 69.560), ("Әл-Фараби", 42.320, 69.600), ("Еңбекші", 42.300, 69.630),
        ("Қаратау", 42.360, 69.620), ("Тұран", 42.290, 69.560)), spread=0.012, **_SOUTH),
    _loc("Абай облысы", "Семей", 50.41, 80.23, 0.018, "7222", **_NORTH),
    _loc("Абай облысы", "Аягөз", 47.97, 80.44, 0.005, "7222", **_NORTH),
    _loc("Абай облысы", "Курчатов", 50.76, 78.54, 0.002, "7222", **_NORTH),
    _loc("Ақмола облысы", "Көкшетау", 53.28, 69.39, 0.014, "7162", **_NORTH),
    _loc("Ақмола облысы", "Степногорск", 52.35, 71.89, 0.005, "7162", **_NORTH),
    _loc("Ақмола облысы", "Щучинск", 52.94, 70.19, 0.004, "7162", **_NORTH),
    _loc("Ақмола облысы", "Атбасар", 51.81, 68.36, 0.003, "7162", **_NORTH),
    _loc("Ақтөбе облысы", "Ақтөбе", 50.28, 57.17, 0.038, "7132", **_WEST),
    _loc("Ақтөбе облысы", "Хромтау", 50.25, 58.44, 0.003, "7132", **_WEST),
    _loc("Ақтөбе облысы", "Қандыағаш", 49.47, 57.42, 0.003, "7132", **_WEST),
    _loc("Ақтөбе облысы", "Шалқар", 47.83, 59.62, 0.002, "7132", **_WEST),
    _loc("Алматы облысы", "Қонаев", 43.87, 77.07, 0.012, "72772", **_SOUTH),
    _loc("Алматы облысы", "Талғар", 43.30, 77.24, 0.016, "72772", **_SOUTH),
    _loc("Алматы облысы", "Қаскелең", 43.20, 76.62, 0.022, "72772", **_SOUTH),
    _loc("Алматы облысы", "Есік", 43.36, 77.45, 0.014, "72772", **_SOUTH),
    _loc("Атырау облысы", "Атырау", 47.11, 51.92, 0.032, "7122", **_WEST),
    _loc("Атырау облысы", "Құлсары", 46.95, 54.02, 0.006, "7122", **_WEST),
    _loc("Батыс Қазақстан облысы", "Орал", 51.23, 51.37, 0.025, "7112", **_WEST),
    _loc("Батыс Қазақстан облысы", "Ақсай", 51.17, 52.99, 0.004, "7112", **_WEST),
    _loc("Жамбыл облысы", "Тараз", 42.90, 71.37, 0.030, "7262", **_SOUTH),
    _loc("Жамбыл облысы", "Шу", 43.60, 73.76, 0.008, "7262", **_SOUTH),
    _loc("Жамбыл облысы", "Жаңатас", 43.57, 69.75, 0.004, "7262", **_SOUTH),
    _loc("Жамбыл облысы", "Қаратау", 43.18, 70.46, 0.005, "7262", **_SOUTH),
    _loc("Жетісу облысы", "Талдықорған", 45.02, 78.37, 0.017, "7282", **_SOUTH),
    _loc("Жетісу облысы", "Текелі", 44.86, 78.76, 0.003, "7282", **_SOUTH),
    _loc("Жетісу облысы", "Жаркент", 44.17, 80.00, 0.006, "7282", **_SOUTH),
    _loc("Жетісу облысы", "Үшарал", 46.17, 80.94, 0.003, "7282", **_SOUTH),
    _loc("Қарағанды облысы", "Қарағанды", 49.81, 73.09, 0.030, "7212", **_NORTH),
    _loc("Қарағанды облысы", "Теміртау", 50.05, 72.96, 0.010, "7212", **_NORTH),
    _loc("Қарағанды облысы", "Балқаш", 46.85, 74.98, 0.004, "7212", **_NORTH),
    _loc("Қарағанды облысы", "Шахтинск", 49.71, 72.59, 0.002, "7212", **_NORTH),
    _loc("Қостанай облысы", "Қостанай", 53.21, 63.63, 0.017, "7142", **_NORTH),
    _loc("Қостанай облысы", "Рудный", 52.97, 63.12, 0.006, "7142", **_NORTH),
    _loc("Қостанай облысы", "Лисаковск", 52.54, 62.49, 0.002, "7142", **_NORTH),
    _loc("Қостанай облысы", "Арқалық", 50.25, 66.91, 0.002, "7142", **_NORTH),
    _loc("Қызылорда облысы", "Қызылорда", 44.85, 65.51, 0.030, "7242", **_SOUTH),
    _loc("Қызылорда облысы", "Байқоңыр", 45.62, 63.31, 0.004, "7242", **_SOUTH),
    _loc("Қызылорда облысы", "Арал", 46.80, 61.67, 0.005, "7242", **_SOUTH),
    _loc("Маңғыстау облысы", "Ақтау", 43.65, 51.16, 0.028, "7292", **_WEST),
    _loc("Маңғыстау облысы", "Жаңаөзен", 43.34, 52.86, 0.014, "7292", **_WEST),
    _loc("Маңғыстау облысы", "Бейнеу", 45.32, 55.20, 0.006, "7292", **_WEST),
    _loc("Павлодар облысы", "Павлодар", 52.29, 76.95, 0.020, "7182", **_NORTH),
    _loc("Павлодар облысы", "Екібастұз", 51.72, 75.32, 0.007, "7182", **_NORTH),
    _loc("Павлодар облысы", "Ақсу", 52.04, 76.92, 0.002, "7182", **_NORTH),
    _loc("Солтүстік Қазақстан облысы", "Петропавл", 54.87, 69.14, 0.012, "7152", **_NORTH),
    _loc("Солтүстік Қазақстан облысы", "Булаево", 54.90, 70.44, 0.001, "7152", **_NORTH),
    _loc("Солтүстік Қазақстан облысы", "Тайынша", 53.85, 69.76, 0.002, "7152", **_NORTH),
    _loc("Түркістан облысы", "Түркістан", 43.30, 68.25, 0.030, "72533", **_SOUTH),
    _loc("Түркістан облысы", "Кентау", 43.52, 68.51, 0.012, "72533", **_SOUTH),
    _loc("Түркістан облысы", "Сарыағаш", 41.46, 69.17, 0.030, "72533", **_SOUTH),
    _loc("Түркістан облысы", "Жетісай", 40.78, 68.33, 0.026, "72533", **_SOUTH),
    _loc("Ұлытау облысы", "Жезқазған", 47.80, 67.71, 0.006, "7102", **_CENTRE),
    _loc("Ұлытау облысы", "Сәтбаев", 47.90, 67.53, 0.004, "7102", **_CENTRE),
    _loc("Ұлытау облысы", "Қаражал", 48.00, 70.79, 0.001, "7102", **_CENTRE),
    _loc("Шығыс Қазақстан облысы", "Өскемен", 49.95, 82.61, 0.021, "7232", **_NORTH),
    _loc("Шығыс Қазақстан облысы", "Риддер", 50.34, 83.51, 0.003, "7232", **_NORTH),
    _loc("Шығыс Қазақстан облысы", "Алтай", 49.74, 84.27, 0.003, "7232", **_NORTH),
    _loc("Шығыс Қазақстан облысы", "Шемонаиха", 50.63, 81.91, 0.002, "7232", **_NORTH),
)

NATIONAL_PRESET = Preset(
    name="national",
    seed=20240601,
    ruleset=KZ_2020,
    title="Kezek demo: national kindergarten queue of Kazakhstan, 2023-2024 (synthetic data)",
    region="Қазақстан",
    exported_at="2024-06-01T08:00:00",
    localities=NATIONAL_LOCALITIES,
    # 2023: 7 880 kindergartens (kazaknews.kz); with mini-centres about 10 000 organisations.
    organisations={"state": 3300, "private_state_order": 3900, "private": 800, "mini_centre": 2000},
    departmental=30,
    cohorts={
        2017: (14000, 0.0), 2018: (60000, 0.10), 2019: (120000, 0.30), 2020: (165000, 0.30),
        2021: (195000, 0.25), 2022: (205000, 0.0), 2023: (175000, 0.0), 2024: (66000, 0.0),
    },
    aged_cohorts=(2017,),
    seats_per_application=0.55,
    mean_seats=12.0,
    wave_months=(7, 8),  # placements before the school year starts on 1 September
    wave_share=0.55,
    private_state_order=0.30,
    private_state_order_from="2023-06-01",
    take=0.65,  # the same-day window is often missed (seed 002)
    free_fill=0.9,
    staff_child=0.005,
)

PRESETS: dict[str, Preset] = {p.name: p for p in (ASTANA_2017_PRESET, ALMATY_PRESET, NATIONAL_PRESET)}
