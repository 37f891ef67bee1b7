"""cli — the `talkpuck` command."""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="talkpuck")
    parser.add_subparsers(dest="cmd")
    args = parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
