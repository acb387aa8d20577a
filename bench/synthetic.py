"""Synthetic content for the build benchmarks: N budget program passports in kk and ru.

Each passport is modelled on the sample passports in ``content/discussions/``: a metadata
block, an introduction (three bullet facts), six structural parts with stable ids
(``purpose``, ``objectives``, ``description``, ``direct-results``, ``final-results``,
``expenses``) and three Markdown tables, about 5-6 KB per language file. Everything is drawn
from one ``random.Random(seed)``, so the same ``(n, seed)`` always gives the same bytes.

Two writers share one generator, so both sites are built from the same Markdown bodies:

* :func:`write_synthetic_content` writes an Ashyq content tree (``administrators.toml`` and
  ``discussions/<UID>/<UID>.{kk,ru}.md`` with ``key: value`` metadata);
* :func:`write_hugo_content` writes the same bodies into a Hugo site (``content/discussions/
  <UID>.{kk,ru}.md`` with YAML front matter, and ``data/admins.json``), with the discussion end
  and status the Ashyq build computes, because Hugo has no working-day calendar.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

LANGS = ("kk", "ru")
N_ADMINISTRATORS = 20
FIRST_POSTED = dt.date(2025, 1, 1)
LAST_POSTED = dt.date(2026, 12, 31)
# The day the benchmark builds "on": the documents posted in 2025-2026 are then a mix of
# closed, open and scheduled discussions.
BENCH_TODAY = dt.date(2026, 7, 1)

PARTS = (
    ("purpose", {"kk": "Бюджеттік бағдарламаның мақсаты", "ru": "Цель бюджетной программы"}),
    ("objectives", {"kk": "Бюджеттік бағдарламаның міндеттері", "ru": "Задачи бюджетной программы"}),
    ("description", {"kk": "Бюджеттік бағдарламаның сипаттамасы (негіздемесі)",
                     "ru": "Описание (обоснование) бюджетной программы"}),
    ("direct-results", {"kk": "Тікелей нәтиже көрсеткіштері", "ru": "Показатели прямого результата"}),
    ("final-results", {"kk": "Түпкілікті нәтиже көрсеткіштері",
                       "ru": "Показатели конечного результата"}),
    ("expenses", {"kk": "Бюджеттік бағдарлама бойынша шығыстар",
                  "ru": "Расходы по бюджетной программе"}),
)

# (kk, ru) pairs: ministries / local departments and the subjects of their programs.
BODIES = (
    ("Денсаулық сақтау министрлігі", "Министерство здравоохранения"),
    ("Оқу-ағарту министрлігі", "Министерство просвещения"),
    ("Ғылым және жоғары білім министрлігі", "Министерство науки и высшего образования"),
    ("Көлік министрлігі", "Министерство транспорта"),
    ("Ауыл шаруашылығы министрлігі", "Министерство сельского хозяйства"),
    ("Еңбек және халықты әлеуметтік қорғау министрлігі",
     "Министерство труда и социальной защиты населения"),
    ("Мәдениет және ақпарат министрлігі", "Министерство культуры и информации"),
    ("Су ресурстары және ирригация министрлігі", "Министерство водных ресурсов и ирригации"),
    ("Экология және табиғи ресурстар министрлігі", "Министерство экологии и природных ресурсов"),
    ("Туризм және спорт министрлігі", "Министерство туризма и спорта"),
    ("Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
     "Министерство цифрового развития, инноваций и аэрокосмической промышленности"),
    ("Өнеркәсіп және құрылыс министрлігі", "Министерство промышленности и строительства"),
)
REGIONS = (
    ("Алматы қаласы", "города Алматы"), ("Астана қаласы", "города Астаны"),
    ("Шымкент қаласы", "города Шымкента"), ("Қарағанды облысы", "Карагандинской области"),
    ("Түркістан облысы", "Туркестанской области"), ("Ақтөбе облысы", "Актюбинской области"),
    ("Павлодар облысы", "Павлодарской области"), ("Абай облысы", "области Абай"),
)
DEPARTMENTS = (
    ("білім басқармасы", "Управление образования"),
    ("денсаулық сақтау басқармасы", "Управление здравоохранения"),
    ("жолаушылар көлігі және автомобиль жолдары басқармасы",
     "Управление пассажирского транспорта и автомобильных дорог"),
    ("энергетика және тұрғын үй-коммуналдық шаруашылық басқармасы",
     "Управление энергетики и жилищно-коммунального хозяйства"),
)
SUBJECTS = (
    ("мектепке дейінгі тәрбие мен оқытуды қамтамасыз ету",
     "обеспечение дошкольного воспитания и обучения"),
    ("денсаулық сақтау объектілерін салу және реконструкциялау",
     "строительство и реконструкция объектов здравоохранения"),
    ("республикалық маңызы бар автомобиль жолдарын дамыту",
     "развитие автомобильных дорог республиканского значения"),
    ("агроөнеркәсіптік кешенді субсидиялау", "субсидирование агропромышленного комплекса"),
    ("халықты әлеуметтік қолдау", "социальная поддержка населения"),
    ("мәдени мұраны сақтау", "сохранение культурного наследия"),
    ("ауыз сумен жабдықтау жүйелерін дамыту", "развитие систем питьевого водоснабжения"),
    ("ерекше қорғалатын табиғи аумақтарды сақтау",
     "сохранение особо охраняемых природных территорий"),
    ("бұқаралық спортты дамыту", "развитие массового спорта"),
    ("электрондық үкімет инфрақұрылымын дамыту", "развитие инфраструктуры электронного правительства"),
    ("ғылыми зерттеулерді гранттық қаржыландыру", "грантовое финансирование научных исследований"),
    ("жылу желілерін жаңғырту", "модернизация тепловых сетей"),
    ("мектептерді цифрлық жабдықтармен қамтамасыз ету",
     "оснащение школ цифровым оборудованием"),
    ("жастар саясатын іске асыру", "реализация молодежной политики"),
)
SURNAMES = (("Ахметов", "Ахметов"), ("Төлеуова", "Толеуова"), ("Сейітқали", "Сейткали"),
            ("Жұмабаев", "Жумабаев"), ("Омарова", "Омарова"), ("Құсайынов", "Кусаинов"),
            ("Бекова", "Бекова"), ("Нұрланов", "Нурланов"))
INITIALS = ("А. Б.", "Д. А.", "Е. С.", "М. К.", "Н. Т.", "С. Ж.")

# Sentences with a {s} slot for the program's subject; the description part draws several.
SENTENCES = {
    "kk": (
        "Бағдарлама {s} саласындағы мемлекеттік саясатты іске асыруға бағытталған.",
        "Өткен кезеңде қол жеткізілген нәтижелер көрсеткіштердің тұрақты өсуін көрсетеді.",
        "Қаражат жобалау-сметалық құжаттама мен мемлекеттік сараптаманың оң қорытындысы негізінде бөлінеді.",
        "Іс-шаралар облыстардың әкімдіктерімен және жергілікті атқарушы органдармен бірлесіп жүзеге асырылады.",
        "Шығыстардың өзгеруі іс-шаралардың негізгі кезеңінің аяқталуымен байланысты.",
        "Қызметтердің ауылдық жерлерде қолжетімділігін арттыруға ерекше назар аударылады.",
        "Көрсеткіштерге мониторинг тоқсан сайын жүргізіледі, нәтижелері ресми сайтта жарияланады.",
        "Бағдарламаның тиімділігі тікелей және түпкілікті нәтиже көрсеткіштері арқылы бағаланады.",
        "{s} бойынша негізгі қорлардың тозуы әлі де жоғары деңгейде қалып отыр.",
        "Жоспарланған көрсеткіштер ұлттық даму жоспарының мақсаттарына сәйкес келеді.",
    ),
    "ru": (
        "Программа направлена на реализацию государственной политики в сфере «{s}».",
        "Достигнутые в прошлом периоде результаты показывают устойчивый рост показателей.",
        "Средства выделяются на основе проектно-сметной документации с положительным заключением государственной экспертизы.",
        "Мероприятия реализуются совместно с акиматами областей и местными исполнительными органами.",
        "Изменение расходов связано с завершением основного этапа мероприятий.",
        "Особое внимание уделяется повышению доступности услуг в сельской местности.",
        "Мониторинг показателей проводится ежеквартально, результаты публикуются на официальном сайте.",
        "Эффективность программы оценивается через показатели прямого и конечного результата.",
        "Износ основных фондов в сфере «{s}» остается высоким.",
        "Плановые показатели соответствуют целям национального плана развития.",
    ),
}
OBJECTIVES = {
    "kk": ("Материалдық-техникалық базаны жаңғырту.", "Қызметтердің сапасы мен қолжетімділігін арттыру.",
           "Жаңа объектілерді салу және пайдалануға беру.", "Кадрлардың біліктілігін арттыру.",
           "Ақпараттық жүйелерді енгізу және дамыту.", "Бюджет қаражатын пайдалану тиімділігін арттыру."),
    "ru": ("Модернизация материально-технической базы.", "Повышение качества и доступности услуг.",
           "Строительство и ввод в эксплуатацию новых объектов.", "Повышение квалификации кадров.",
           "Внедрение и развитие информационных систем.", "Повышение эффективности использования бюджетных средств."),
}
LAWS = {
    "kk": ("Қазақстан Республикасының Бюджет кодексі;",
           "«Мемлекеттік қызмет көрсету туралы» Қазақстан Республикасының 2013 жылғы 15 сәуірдегі № 88-V Заңы;",
           "Қазақстан Республикасы Үкіметінің 2024 жылғы 28 наурыздағы № 236 қаулысы;",
           "«Жергілікті мемлекеттік басқару және өзін-өзі басқару туралы» Қазақстан Республикасының 2001 жылғы 23 қаңтардағы № 148-II Заңы;"),
    "ru": ("Бюджетный кодекс Республики Казахстан;",
           "Закон Республики Казахстан от 15 апреля 2013 года № 88-V «О государственных услугах»;",
           "Постановление Правительства Республики Казахстан от 28 марта 2024 года № 236;",
           "Закон Республики Казахстан от 23 января 2001 года № 148-II «О местном государственном управлении и самоуправлении в Республике Казахстан»;"),
}
INDICATORS = {
    "kk": (("Пайдалануға берілген объектілер саны", "бірлік"), ("Қамтылған адамдар саны", "адам"),
           ("Жөнделген объектілер саны", "бірлік"), ("Өткізілген іс-шаралар саны", "бірлік"),
           ("Құрылған орындар саны", "орын"), ("Жаңғыртылған желілердің ұзындығы", "км")),
    "ru": (("Количество введенных в эксплуатацию объектов", "единиц"), ("Количество охваченных человек", "человек"),
           ("Количество отремонтированных объектов", "единиц"), ("Количество проведенных мероприятий", "единиц"),
           ("Количество созданных мест", "мест"), ("Протяженность модернизированных сетей", "км")),
}
OUTCOMES = {
    "kk": ("Қызметтермен қамтылған халықтың үлесі", "Негізгі құралдардың тозуы",
           "Тұрғындардың қызметтер сапасына қанағаттану деңгейі", "Нормативтік талаптарға сәйкес объектілердің үлесі"),
    "ru": ("Доля населения, охваченного услугами", "Износ основных средств",
           "Уровень удовлетворенности населения качеством услуг", "Доля объектов, соответствующих нормативным требованиям"),
}
YEAR_LABELS = {"kk": ("есепті жыл, факт", "ағымдағы жыл, жоспар"),
               "ru": ("отчетный год, факт", "план текущего года")}
TABLE_HEAD = {"kk": ("Көрсеткіш", "Өлшем бірлігі", "Шығыстар", "мың теңге",
                     "Бюджеттік бағдарлама бойынша барлығы", "Нормативтік құқықтық негізі"),
              "ru": ("Показатель", "Ед. изм.", "Расходы", "тыс. тенге",
                     "Итого по бюджетной программе", "Нормативная правовая основа")}


@dataclass(frozen=True)
class Administrator:
    code: str
    level: str  # republican | local
    name: dict[str, str]
    email: str
    region: dict[str, str] | None = None


@dataclass(frozen=True)
class Passport:
    """One synthetic passport: shared metadata, per-language metadata and Markdown body."""

    uid: str
    administrator: str
    program: str
    budget_type: str
    period: str
    posted: dt.date
    discussion_end: dt.date | None  # an editor-requested end, or None for the earliest
    title: dict[str, str]
    head: dict[str, str]
    body: dict[str, str]

    def meta(self, lang: str) -> dict[str, str]:
        """The metadata of the language file, in the order of the sample passports."""
        meta = {"uid": self.uid, "type": "passport", "title": self.title[lang],
                "administrator": self.administrator, "program": self.program,
                "budget_type": self.budget_type, "period": self.period,
                "head": self.head[lang], "posted": self.posted.isoformat()}
        if self.discussion_end:
            meta["discussion_end"] = self.discussion_end.isoformat()
        return meta


def administrators(seed: int = 1) -> list[Administrator]:
    """Twenty administrators: twelve republican ministries and eight local departments."""
    rng = random.Random(f"admins-{seed}")
    result = []
    for i, (kk, ru) in enumerate(BODIES):
        code = str(201 + i * 3)
        result.append(Administrator(code, "republican",
                                    {"kk": f"Қазақстан Республикасының {kk}",
                                     "ru": f"{ru} Республики Казахстан"},
                                    f"budget{code}@gov.example"))
    for i in range(N_ADMINISTRATORS - len(BODIES)):
        region = REGIONS[i % len(REGIONS)]
        dep = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        code = str(261 + i * 17)
        result.append(Administrator(code, "local",
                                    {"kk": f"{region[0]} {dep[0]}", "ru": f"{dep[1]} {region[1]}"},
                                    f"budget{code}@akimat.example",
                                    {"kk": region[0], "ru": region[1].capitalize()}))
    return result


def administrators_toml(admins: list[Administrator]) -> str:
    out = ["# Synthetic administrators for the build benchmark (bench/synthetic.py).\n"]
    for a in admins:
        out.append(f'\n[[administrator]]\ncode = "{a.code}"\nlevel = "{a.level}"\n'
                   f'name.kk = "{a.name["kk"]}"\nname.ru = "{a.name["ru"]}"\n'
                   f'email = "{a.email}"\n')
        if a.region:
            out.append(f'region.kk = "{a.region["kk"]}"\nregion.ru = "{a.region["ru"]}"\n')
    return "".join(out)


def _amount(value: int) -> str:
    """``1234567`` as ``1 234 567`` (the thousands separator of the sample passports)."""
    return f"{value:,}".replace(",", " ")


def _percent(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _body(rng: random.Random, lang: str, admin: Administrator, program: str, subject: str,
          first_year: int) -> str:
    """The Markdown body of one language file: introduction and the six parts."""
    years = [first_year - 2, first_year - 1, first_year, first_year + 1, first_year + 2]
    fact, plan = YEAR_LABELS[lang]
    year_cols = [f"{years[0]} ({fact})", f"{years[1]} ({plan})", *map(str, years[2:])]
    head_ind, head_unit, head_exp, thousands, total, laws_title = TABLE_HEAD[lang]
    kind = {"kk": "республикалық" if admin.level == "republican" else "жергілікті",
            "ru": "республиканская" if admin.level == "republican" else "местная"}[lang]
    out = []
    if lang == "kk":
        out.append(f"- **Бюджеттік бағдарламалар әкімшісінің коды және атауы:** {admin.code} «{admin.name[lang]}»\n"
                   f"- **Бюджеттік бағдарламаның коды және атауы:** {program} «{subject.capitalize()}»\n"
                   f"- **Бюджеттік бағдарламаның түрі:** мемлекеттік басқару деңгейіне қарай – {kind}; "
                   "іске асыру тәсіліне қарай – жеке; ағымдағы/даму – ағымдағы.\n")
    else:
        out.append(f"- **Код и наименование администратора бюджетной программы:** {admin.code} «{admin.name[lang]}»\n"
                   f"- **Код и наименование бюджетной программы:** {program} «{subject.capitalize()}»\n"
                   f"- **Вид бюджетной программы:** в зависимости от уровня государственного управления – {kind}; "
                   "в зависимости от способа реализации – индивидуальная; текущая/развитие – текущая.\n")
    sentences = SENTENCES[lang]
    titles = {pid: t[lang] for pid, t in PARTS}

    def para(k: int) -> str:
        return " ".join(t.format(s=subject) for t in rng.sample(sentences, k))

    out.append(f"## {titles['purpose']} {{#purpose}}\n\n{para(2)}\n")
    objectives = rng.sample(OBJECTIVES[lang], rng.randint(3, 4))
    out.append(f"## {titles['objectives']} {{#objectives}}\n\n"
               + "".join(f"{i}. {o}\n" for i, o in enumerate(objectives, 1)))
    laws = rng.sample(LAWS[lang], 3)
    out.append(f"## {titles['description']} {{#description}}\n\n{para(rng.randint(3, 4))}\n\n"
               f"{para(rng.randint(3, 5))}\n\n**{laws_title}:**\n\n"
               + "".join(f"- {law}\n" for law in laws[:-1]) + f"- {laws[-1][:-1]}.\n")
    rows = []
    for name, unit in rng.sample(INDICATORS[lang], rng.randint(3, 4)):
        base = rng.randint(10, 5000)
        rows.append(f"| {name} | {unit} | "
                    + " | ".join(_amount(int(base * (1 + 0.07 * k + rng.uniform(-0.05, 0.05))))
                                 for k in range(5)) + " |\n")
    out.append(f"## {titles['direct-results']} {{#direct-results}}\n\n"
               f"| {head_ind} | {head_unit} | " + " | ".join(year_cols) + " |\n"
               "|---|---|---:|---:|---:|---:|---:|\n" + "".join(rows))
    rows = []
    for name in rng.sample(OUTCOMES[lang], 2):
        base = rng.uniform(40, 90)
        rows.append(f"| {name} | % | "
                    + " | ".join(_percent(min(100.0, base + 2.1 * k)) for k in range(5)) + " |\n")
    out.append(f"## {titles['final-results']} {{#final-results}}\n\n"
               f"| {head_ind} | {head_unit} | " + " | ".join(year_cols) + " |\n"
               "|---|---|---:|---:|---:|---:|---:|\n" + "".join(rows))
    subprograms = [rng.randint(1_000_000, 90_000_000) for _ in range(2)]
    rows, totals = [], [0] * 5
    for number, base in zip((100, 101), subprograms):
        amounts = [int(base * (1 + rng.uniform(-0.2, 0.3))) for _ in range(5)]
        totals = [t + a for t, a in zip(totals, amounts)]
        rows.append(f"| {number} «{subject.capitalize()}» | " + " | ".join(map(_amount, amounts)) + " |\n")
    rows.append(f"| **{total}** | " + " | ".join(f"**{_amount(t)}**" for t in totals) + " |\n")
    out.append(f"## {titles['expenses']} {{#expenses}}\n\n{thousands}\n\n"
               f"| {head_exp} | " + " | ".join(year_cols) + " |\n"
               "|---|---:|---:|---:|---:|---:|\n" + "".join(rows))
    return "\n".join(out)


def synthetic_passports(n: int, seed: int = 1) -> Iterator[Passport]:
    """``n`` passports, spread evenly over the administrators and over 2025-2026."""
    admins = administrators(seed)
    rng = random.Random(f"passports-{seed}")
    span = (LAST_POSTED - FIRST_POSTED).days
    for i in range(1, n + 1):
        admin = admins[(i - 1) % len(admins)]
        posted = FIRST_POSTED + dt.timedelta(days=rng.randrange(span + 1))
        first_year = posted.year + 1
        program = f"{(i - 1) // len(admins) % 999 + 1:03d}"
        uid = f"BP-{first_year}-{admin.code}-{i:05d}"
        # One in five editors asks for a longer discussion (a month instead of 10 working days).
        requested = posted + dt.timedelta(days=30) if rng.random() < 0.2 else None
        subject = SUBJECTS[rng.randrange(len(SUBJECTS))]
        surname = SURNAMES[rng.randrange(len(SURNAMES))]
        initials = rng.choice(INITIALS)
        period = f"{first_year}-{first_year + 2}"
        title = {"kk": f"{first_year}–{first_year + 2} жылдарға арналған {program} «{subject[0].capitalize()}» "
                       "бюджеттік бағдарламасының паспорты",
                 "ru": f"Паспорт бюджетной программы {program} «{subject[1].capitalize()}» "
                       f"на {first_year}–{first_year + 2} годы"}
        head = {"kk": f"Бағдарлама басшысы {surname[0]} {initials}",
                "ru": f"Руководитель программы {surname[1]} {initials}"}
        body = {lang: _body(rng, lang, admin, program, subject[k], first_year)
                for k, lang in enumerate(LANGS)}
        yield Passport(uid, admin.code, program, admin.level, period, posted, requested,
                       title, head, body)


def write_synthetic_content(dest: Path, n: int, seed: int = 1, only: int | None = None) -> int:
    """Write an Ashyq content tree with ``n`` passports in kk and ru; returns the bytes written.
    With ``only``, just the ``only``-th passport (1-based) is written (a document added)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = (dest / "administrators.toml").write_text(
        administrators_toml(administrators(seed)), encoding="utf-8")
    for i, doc in enumerate(synthetic_passports(n, seed), 1):
        if only is not None and i != only:
            continue
        folder = dest / "discussions" / doc.uid
        folder.mkdir(parents=True, exist_ok=True)
        for lang in LANGS:
            head = "".join(f"{k}: {v}\n" for k, v in doc.meta(lang).items())
            written += (folder / f"{doc.uid}.{lang}.md").write_bytes(
                (head + "\n" + doc.body[lang]).encode("utf-8"))
    return written


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def write_hugo_content(site: Path, n: int, seed: int = 1, today: dt.date = BENCH_TODAY) -> int:
    """Write the same ``n`` passports into the Hugo site at ``site``; returns the bytes written.

    ``content/discussions/<UID>.<lang>.md`` get YAML front matter with the metadata plus what
    Ashyq computes at build time (discussion end, status, the parts' ids and titles);
    ``data/admins.json`` maps administrator codes to names.
    """
    from ashyq.doctypes import discussion_status
    from ashyq.workdays import WorkingCalendar

    calendar = WorkingCalendar()
    site = Path(site)
    content = site / "content" / "discussions"
    content.mkdir(parents=True, exist_ok=True)
    (site / "data").mkdir(parents=True, exist_ok=True)
    admins = administrators(seed)
    written = (site / "data" / "admins.json").write_text(json.dumps(
        {a.code: {"name": a.name, "level": a.level} for a in admins}, ensure_ascii=False),
        encoding="utf-8")
    for lang in LANGS:
        section = {"kk": "Қоғамдық талқылаулар", "ru": "Общественные обсуждения"}[lang]
        written += (content / f"_index.{lang}.md").write_text(
            f"---\ntitle: {_yaml_str(section)}\n---\n", encoding="utf-8")
        written += (site / "content" / f"_index.{lang}.md").write_text(
            "---\ntitle: Ashyq\n---\n", encoding="utf-8")
    for doc in synthetic_passports(n, seed):
        end = calendar.discussion_end(doc.posted, doc.discussion_end)
        status = discussion_status(doc.posted, end, today)
        for lang in LANGS:
            meta = doc.meta(lang)
            # ``type`` selects layouts in Hugo, so the document type goes in as ``doctype``.
            front = [f"{k}: {_yaml_str(v)}" for k, v in meta.items()
                     if k not in ("type", "discussion_end")]
            front += [f"doctype: {meta['type']}", f"date: {doc.posted.isoformat()}", f"discussion_end: {end.isoformat()}",
                      f"status: {status}", "parts:"]
            front += [f"  - {{id: {pid}, title: {_yaml_str(t[lang])}}}" for pid, t in PARTS]
            text = "---\n" + "\n".join(front) + "\n---\n\n" + doc.body[lang]
            written += (content / f"{doc.uid}.{lang}.md").write_bytes(text.encode("utf-8"))
    return written
