"""Load the city's data: real open data from data/muelheim, then demo data where real data is missing.

Idempotent: real data is updated in place; demo data is generated only when
the database holds no addresses yet.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from geoportal.errors import GeoportalError
from layers import services
from layers.models import Address, BroadbandAtlasValue
from schools.demo import demo_present, school_demo_generate
from schools.importers import schools_load
from schools.models import SchoolConnection

BOUNDARY = services.CITY_DATA / "boundary_muelheim_vg250.geojson"
SCHOOLS = services.CITY_DATA / "schools_nrw_msb_schuldaten_2021-09_muelheim.geojson"
SCHOOLS_2024 = services.CITY_DATA / "schools_itnrw_2024-25_sozialindex_muelheim.csv"
BROADBAND = services.CITY_DATA / "broadband_breitbandatlas_muelheim_2005-2021.csv"
CATALOGUE = services.REPO / "data" / "layers.json"


class Command(BaseCommand):
    help = "Load the city's open data and, where no real data exists, the labelled demo data."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not generate demo data.")

    def handle(self, *args, no_demo: bool = False, **options):
        try:
            services.city_boundary_load(
                path=BOUNDARY, ags=settings.CITY_AGS, source="BKG VG250 (© GeoBasis-DE / BKG 2017)"
            )
            if not Address.objects.exists() and not no_demo:
                self.stdout.write("generating demo data (districts, addresses, facilities, providers) ...")
                call_command("generate_demo", stdout=self.stdout)
            report = schools_load(msb_geojson=SCHOOLS, itnrw_csv=SCHOOLS_2024)
            if demo_present() and not SchoolConnection.objects.exists():
                # Demo data came before the schools (a fresh database): their demo connections now.
                school_demo_generate(progress=self.stdout.write)
            if not BroadbandAtlasValue.objects.exists():
                services.broadband_atlas_load(path=BROADBAND)
            layers = services.layer_catalogue_load(path=CATALOGUE)
        except GeoportalError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"city data loaded: {report.created + report.updated} schools "
                f"({report.joined} with 2024/25 figures), {BroadbandAtlasValue.objects.count()} Breitbandatlas "
                f"figures, {layers} catalogue entries, {Address.objects.count()} addresses"
            )
        )
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
