"""The process taxonomy shipped as data (processes.json): class -> process, en and zh-CN."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path


class _Bilingual:
    """Anything with `en` and `zh_CN` names."""

    en: str
    zh_CN: str

    def name(self, locale: str) -> str:
        return self.zh_CN if locale.startswith("zh") else self.en


@dataclass(frozen=True)
class Process(_Bilingual):
    code: str
    class_code: str
    kind: str
    en: str
    zh_CN: str

@dataclass(frozen=True)
class ProcessClass(_Bilingual):
    code: str
    kind: str
    en: str
    zh_CN: str
    processes: tuple[Process, ...]


@dataclass(frozen=True)
class Certification(_Bilingual):
    code: str
    en: str
    zh_CN: str


@dataclass(frozen=True)
class Taxonomy:
    classes: tuple[ProcessClass, ...]
    processes: dict[str, Process]
    certifications: dict[str, Certification]

    def processes_of_class(self, class_code: str) -> list[str]:
        return [p.code for p in self.processes.values() if p.class_code == class_code]


@cache
def taxonomy() -> Taxonomy:
    raw = json.loads((Path(__file__).with_name("processes.json")).read_text(encoding="utf-8"))
    classes = []
    for c in raw["classes"]:
        procs = tuple(
            Process(p["code"], c["code"], c["kind"], p["en"], p["zh_CN"]) for p in c["processes"]
        )
        classes.append(ProcessClass(c["code"], c["kind"], c["en"], c["zh_CN"], procs))
    processes = {p.code: p for c in classes for p in c.processes}
    certs = {c["code"]: Certification(c["code"], c["en"], c["zh_CN"]) for c in raw["certifications"]}
    return Taxonomy(tuple(classes), processes, certs)
