"""The organisations: how many, where, their names, addresses and languages."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.schema import OWNERSHIP
from demo import names
from demo.codes import OWNERSHIP_CODE
from demo.tables import table


class Kindergartens:
    def kindergartens(self):
        preset, rng = self.preset, self.rng
        nloc = len(self.localities)
        counts = {}
        for own in OWNERSHIP:
            total = preset.organisations.get(own, 0)
            raw = total * self.locality_weights
            c = np.floor(raw).astype(int)
            rest = total - c.sum()
            if rest > 0:
                c[np.argsort(-(raw - c), kind="stable")[:rest]] += 1
            if own == "state":
                c = np.maximum(c, 2)  # every locality needs state kindergartens for its bulletins
            counts[own] = c
        loc = np.concatenate([np.repeat(np.arange(nloc), counts[o]) for o in OWNERSHIP])
        own = np.concatenate([np.full(counts[o].sum(), OWNERSHIP_CODE[o], np.int8) for o in OWNERSHIP])
        order = np.lexsort((own, loc))
        loc, own = loc[order], own[order]
        n = len(loc)
        self.n_kindergartens = n
        self.kg_locality, self.kg_ownership = loc, own
        state = own == OWNERSHIP_CODE["state"]
        # departmental kindergartens (ownership state): a few, at random
        dep = np.zeros(n, bool)
        state_idx = np.flatnonzero(state)
        dep[rng.choice(state_idx, size=min(preset.departmental, len(state_idx)), replace=False)] = True
        self.kg_departmental = dep
        # languages of instruction: 0 kk, 1 ru, 2 kk|ru
        probs = np.array([self.localities[i].kg_language for i in range(nloc)])[loc]
        u = rng.random(n)
        lang = (u > probs[:, 0]).astype(np.int8) + (u > probs[:, 0] + probs[:, 1])
        mini = own == OWNERSHIP_CODE["mini_centre"]
        lang = np.where(mini & (lang == 2), (rng.random(n) < 0.5).astype(np.int8), lang)
        self.kg_language = lang.astype(np.int8)
        # state kindergartens are numbered within their locality (with gaps, as in reality)
        num = rng.integers(1, 120, n)
        st_idx = np.flatnonzero(state)  # contiguous per locality: sorted by (locality, ownership)
        cs = np.cumsum(1 + rng.poisson(0.15, len(st_idx)))
        first = np.r_[0, np.flatnonzero(np.diff(loc[st_idx])) + 1]
        sizes = np.diff(np.r_[first, len(st_idx)])
        num[st_idx] = cs - np.repeat(np.r_[0, cs[first[1:] - 1]], sizes)
        self.kg_number = num
        # coordinates: around the district centre, or the locality centre
        lat = np.empty(n)
        lon = np.empty(n)
        district = np.full(n, None, object)
        spread = np.array([l.spread for l in self.localities])[loc]
        for i, l in enumerate(self.localities):  # per locality (tens of them), vectorised inside
            sel = np.flatnonzero(loc == i)
            if l.districts:
                d = rng.integers(0, len(l.districts), len(sel))
                cen = np.array([(a, b) for _, a, b in l.districts])[d]
                district[sel] = np.array([x for x, _, _ in l.districts], object)[d]
            else:
                cen = np.tile([l.lat, l.lon], (len(sel), 1))
            la = cen[:, 0] + rng.normal(0, 1, len(sel)) * spread[sel]
            lo = cen[:, 1] + rng.normal(0, 1, len(sel)) * spread[sel] * 1.5
            if l.box:
                la = np.clip(la, l.box[0] + 0.002, l.box[1] - 0.002)
                lo = np.clip(lo, l.box[2] + 0.002, l.box[3] - 0.002)
            lat[sel], lon[sel] = la, lo
        self.kg_lat, self.kg_lon = np.round(lat, 5), np.round(lon, 5)
        self.kg_district = district
        self.state_kgs_by_locality = [np.flatnonzero(state & (loc == i)) for i in range(nloc)]

    def kindergarten_table(self, capacity) -> pa.Table:
        rng, n = self.rng, self.n_kindergartens
        own, loc = self.kg_ownership, self.kg_locality
        kk_pick = rng.integers(0, len(names.KK_NAMES), n)
        ru_pick = rng.integers(0, len(names.RU_NAMES), n)
        use_ru = (own != OWNERSHIP_CODE["state"]) & (own != OWNERSHIP_CODE["mini_centre"]) & (rng.random(n) < 0.25)
        brand = np.where(use_ru, np.array(names.RU_NAMES, object)[ru_pick], np.array(names.KK_NAMES, object)[kk_pick])
        brand = pa.array(brand, pa.string())
        quoted = pc.binary_join_element_wise("«", brand, "»", "")
        num = pc.cast(pa.array(self.kg_number), pa.string())
        school = pc.cast(pa.array(rng.integers(1, 95, n)), pa.string())
        kinds = {
            "state": (pc.binary_join_element_wise("№", num, " ", quoted, " балабақшасы", ""),
                      pc.binary_join_element_wise("Ясли-сад №", num, " ", quoted, "")),
            "departmental": (pc.binary_join_element_wise(quoted, " ведомстволық балабақшасы", ""),
                             pc.binary_join_element_wise("Ведомственный детский сад ", quoted, "")),
            "private_a": (pc.binary_join_element_wise(quoted, " жеке балабақшасы", ""),
                          pc.binary_join_element_wise("Частный детский сад ", quoted, "")),
            "private_b": (pc.binary_join_element_wise(quoted, " балабақшасы ЖШС", ""),
                          pc.binary_join_element_wise("ТОО «Детский сад ", brand, "»", "")),
            "mini_a": (pc.binary_join_element_wise(quoted, " шағын орталығы", ""),
                       pc.binary_join_element_wise("Мини-центр ", quoted, "")),
            "mini_b": (pc.binary_join_element_wise("№", school, " мектеп жанындағы ", quoted, " шағын орталығы", ""),
                       pc.binary_join_element_wise("Мини-центр ", quoted, " при школе №", school, "")),
        }
        which = np.where(own == OWNERSHIP_CODE["state"], np.where(self.kg_departmental, 1, 0),
                         np.where(own == OWNERSHIP_CODE["mini_centre"], np.where(rng.random(n) < 0.6, 4, 5),
                                  np.where(rng.random(n) < 0.6, 2, 3)))
        order = list(kinds)
        name_kk = kinds[order[0]][0]
        name_ru = kinds[order[0]][1]
        for i, key in enumerate(order[1:], start=1):
            mask = pa.array(which == i)
            name_kk = pc.if_else(mask, kinds[key][0], name_kk)
            name_ru = pc.if_else(mask, kinds[key][1], name_ru)
        # addresses
        loc_names = np.array([l.name for l in self.localities], object)
        street_lists = [names.STREETS.get(l.name, names.GENERIC_STREETS) for l in self.localities]
        streets = np.empty(n, object)
        for i, lst in enumerate(street_lists):
            sel = np.flatnonzero(loc == i)
            streets[sel] = np.array(lst, object)[rng.integers(0, len(lst), len(sel))]
        house = pc.cast(pa.array(rng.integers(1, 160, n)), pa.string())
        address = pc.binary_join_element_wise(pa.array(loc_names[loc], pa.string()), " қ., ",
                                              pa.array(streets, pa.string()), ", ", house, "")
        codes = np.array([l.phone_code for l in self.localities], object)[loc]
        width = 10 - np.array([len(c) for c in codes])
        local = rng.integers(10 ** (width - 1) * 2, 10 ** width)
        phone = pc.binary_join_element_wise("+7 ", pa.array(codes, pa.string()), " ",
                                            pc.cast(pa.array(local), pa.string()), "")
        has_phone = rng.random(n) < np.where(own == OWNERSHIP_CODE["state"], 0.95, 0.8)
        phone = pc.if_else(pa.array(has_phone), phone, pa.nulls(n, pa.string()))
        lang_str = np.array(["kk", "ru", "kk|ru"], object)[self.kg_language]
        region = np.array([l.region for l in self.localities], object)[loc]
        cols = {
            "kindergarten_id": self.kg_id,
            "name_kk": name_kk,
            "name_ru": name_ru,
            "region": pa.array(region, pa.string()),
            "district": pa.array(self.kg_district, pa.string()),
            "locality": pa.array(loc_names[loc], pa.string()),
            "address": address,
            "latitude": pa.array(self.kg_lat, pa.float64()),
            "longitude": pa.array(self.kg_lon, pa.float64()),
            "ownership": pa.array(np.array(OWNERSHIP, object)[own], pa.string()),
            "languages": pa.array(lang_str, pa.string()),
            "capacity": pa.array(capacity, pa.int64()),
            "phone": phone,
            "website": pa.nulls(n, pa.string()),
        }
        return table("kindergartens", cols)
