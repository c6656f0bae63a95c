"""`emis report`: a state statistical report form as an XLSX workbook (and a PDF beside it)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from emis.errors import UserError
from emis.settings import load_settings

FORM_HELP = (
    "one of: osh-1, 85-k, 1-proftech, 2-nk, 3-nk, 77, uis (`emis report --list` describes them)"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="fill a state report form (ОШ-1, 85-К, 1-профтех, 2-НК, 3-НК, 77) or the UIS "
        "questionnaire tables as XLSX",
        description=(
            "Fill a state statistical report form from the registers as of a reporting date, "
            "for one organization or summed for a district, an oblast or the republic; check "
            "its control ratios; write it as an XLSX workbook in the official layout (and a "
            "PDF beside it when LibreOffice is installed). Failed ratios are listed on the "
            "workbook's check sheet and printed; --strict makes them exit with code 1. "
            "Forms: docs/reports.md."
        ),
    )
    parser.add_argument("form", nargs="?", metavar="FORM", help=FORM_HELP)
    parser.add_argument("--list", action="store_true", help="describe the forms and exit")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--territory",
        default="KG",
        metavar="CODE",
        help="KG (the republic, default), an oblast (5-digit SOATE) or a district (8 digits)",
    )
    where.add_argument(
        "--organization", metavar="ORG_ID", help="one organization's own form (EMIS org_id)"
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--year",
        metavar="YYYY-YYYY",
        help="academic year: the form's reporting date in it (its census date, 1 January or "
        "31 December)",
    )
    when.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="reporting date YYYY-MM-DD (default: the form's latest reporting date the latest "
        "export covers: 15 September, 1 January or 31 December)",
    )
    parser.add_argument("--out", type=Path, metavar="FILE.xlsx", help="where to write the form")
    parser.add_argument(
        "--language", choices=("ru", "ky"), default="ru", help="labels in Russian or Kyrgyz"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with code 1 when a control ratio fails"
    )
    parser.add_argument("--no-pdf", action="store_true", help="do not convert to PDF")
    parser.set_defaults(handler=run)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _as_of_year(form_id: str, academic_year: str) -> dt.date:
    from reports.dates import reporting_date_in_year
    from reports.declaration import load_form

    try:
        return reporting_date_in_year(load_form(form_id).reporting_date, academic_year)
    except ValueError:
        raise UserError(f"--year {academic_year}: not an academic year YYYY-YYYY") from None


def run(args: argparse.Namespace) -> int:
    from reports.declaration import DeclarationError, form_ids

    try:
        if args.list:
            print("\n".join(describe_forms()))
            return 0
        if not args.form:
            raise UserError(f"name a FORM, {FORM_HELP}")
        if args.form not in form_ids():
            raise UserError(f"no form {args.form!r}; forms: {', '.join(form_ids())}")
        if not args.out:
            raise UserError("--out FILE.xlsx is required")
        if args.out.suffix.lower() != ".xlsx":
            raise UserError(f"--out {args.out}: the file name must end in .xlsx")
        if args.year:
            args.as_of = _as_of_year(args.form, args.year)
        return write(args)
    except DeclarationError as error:  # a hand-edited declaration: say where, in one line
        raise UserError(str(error)) from None


def write(args: argparse.Namespace) -> int:
    from reports.pdf import to_pdf
    from reports.render import write_workbook
    from reports.report import build_report

    report = build_report(
        load_settings(),
        args.form,
        territory=args.territory,
        organization=args.organization,
        as_of=args.as_of,
    )
    path = write_workbook(report, args.out, args.language)
    form = report.form
    print(f"{form.code}: {form.title.get(args.language)}")
    print(
        f"  {report.scope.name.get(args.language)} ({report.scope.code}), as of {report.as_of}"
        + (f", movement {report.period_start} to {report.as_of}" if report.period_start else "")
        + f"; covers {report.organizations:,} organization(s); export of {report.snapshot_date}"
    )
    failures = report.failures
    print(f"  control ratios: {len(report.checks):,} checks, {len(failures):,} failed")
    if report.certification:
        print(f"  {report.certification.get(args.language)}")
    for check in failures:
        print(f"    FAILED {check.describe()}")
    print(f"  wrote {path} ({path.stat().st_size / 1024:,.0f} KiB) in {report.seconds:.1f}s")
    if not args.no_pdf:
        pdf = to_pdf(path)
        if pdf:
            print(f"  wrote {pdf}")
    return 1 if failures and args.strict else 0


def describe_forms() -> list[str]:
    """One paragraph per form: code, title, reporting date, what it covers, its sections."""
    from reports.declaration import form_ids, load_form

    rules = {
        "census": "the census date (start of the school year, 15 September)",
        "january_first": "1 January",
        "year_end": "31 December (the year)",
    }
    periods = {
        "twelve_months": "movement over the 12 months up to it",
        "calendar_year": "movement over its calendar year",
    }
    lines = []
    for form_id in form_ids():
        form = load_form(form_id)
        covers = form.organizations_label.ru if form.organizations_label else "all organizations"
        when = rules[form.reporting_date]
        if form.period:
            when += f"; {periods[form.period]}"
        lines.append(f"{form.id:<11} {form.code}: {form.title.ru}")
        lines.append(f"{'':<11} as of {when}; covers {covers}")
        for section in form.sections:
            lines.append(
                f"{'':<11}   {section.number}. {section.title.ru} "
                f"({len(section.rows)} rows x {len(section.columns)} columns)"
            )
        lines.append(f"{'':<11} {len(form.control_ratios())} control ratios")
    return lines
