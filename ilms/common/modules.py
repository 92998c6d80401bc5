"""Import every module of a package, so that files dropped into it register themselves."""
import importlib
import pkgutil


def import_submodules(package_name):
    package = importlib.import_module(package_name)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package_name}.{info.name}")
