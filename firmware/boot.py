# boot.py — runs before main.py on every reset. Kept tiny on purpose: a broken boot.py can lock
# out the REPL. Safe mode (hold the button while plugging the puck in: main.py returns to the REPL
# at once, so mpremote can reach the filesystem) is in app_main, which asks the HAL.
import gc

gc.collect()
