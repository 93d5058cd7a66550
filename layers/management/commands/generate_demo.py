"""Generate the labelled demo data (districts, streets, addresses, facilities, providers, plans): see layers.demo."""

from django.core.management.base import BaseCommand, CommandError

from geoportal.errors import GeoportalError
from layers.demo import demo_generate


class Command(BaseCommand):
    help = "Generate deterministic demo data inside the city boundary (every record is_demo=True)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--addresses", type=int, default=35_000, help="Number of addresses (homes scale along).")
        parser.add_argument("--replace", action="store_true", help="Delete existing demo records first.")

    def handle(self, *args, seed: int, addresses: int, replace: bool, **options):
        try:
            report = demo_generate(seed=seed, addresses=addresses, replace=replace, progress=self.stdout.write)
        except GeoportalError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"demo data (seed {report.seed}): {report.districts} districts, {report.streets} streets, "
                f"{report.addresses} addresses, {report.homes} homes, {report.facilities} facilities, "
                f"{report.providers} providers with {report.plan_versions} plan versions in {report.seconds} s"
            )
        )
