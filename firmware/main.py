# main.py — runs the puck. fwboot picks the application copy (slots A/B, rollback), app_main runs it.
import fwboot

if fwboot.run() == fwboot.RESET:  # an update to apply, or a trial copy that failed at boot
    try:
        from machine import reset
    except ImportError:  # the unix port (its `machine` has no reset): exit; its supervisor starts it again
        import sys

        sys.exit(fwboot.RESET_EXIT)
    reset()
