#!/usr/bin/python3
# test-a11y-refill.py: the superadmin's refill dialog as a screen reader sees it
#
# Starts luma-sandbox with a superadmin and one tenant, and the real luma-subscription signed in
# as that superadmin; opens the tenant and its "Add or remove licenses" dialog, and drives the
# dialog over AT-SPI only: the toggles through their actions, the amount and the reason typed
# with synthetic keys. Checks that a removal above the available count cannot be confirmed and
# says how many can be removed, that a removal is worded as one (title, button, confirmation),
# and that offline (the sandbox stopped) the button is disabled with the reason readable.
#
# The process, TAP and tree helpers are test-a11y.py's. Runs under Xvfb and a private D-Bus
# session like it; the environment is the same (tests/ui/meson.build). Output is TAP.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

_spec = importlib.util.spec_from_file_location(
    'luma_a11y', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test-a11y.py'))
a11y = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a11y)
ok, diag, bail_out, spoken = a11y.ok, a11y.diag, a11y.bail_out, a11y.spoken

TENANT = 'a11y-refill'
TENANT_NAME = 'Accessible Dental'
API_KEY = 'a11y-refill-key'
ROOT_USER = 'a11y-root'
ROOT_PASS = 'a11y-root-password'
LICENSES = 5000   # available above 1,000: digit grouping in the amount and the texts
SEED_RECORDS = 60
REFILL_BUTTON = r'^Add or remove licenses$'

KEY_TAB = 0xff09
KEY_RETURN = 0xff0d


# ---- The sandbox and the application --------------------------------------------------------

def start_sandbox():
    # User-based: the consumed count is the records' users, fixed for the whole run.
    args = [os.environ['LUMA_SANDBOX'], '--port', '0', '--seed-value', '11',
            '--superadmin', f'{ROOT_USER}:{ROOT_PASS}',
            '--tenant', TENANT, '--tenant-name', TENANT_NAME, '--api-key', API_KEY,
            '--license-model', 'user', '--licenses', str(LICENSES), '--seed', str(SEED_RECORDS)]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    a11y.children.append(proc)
    url = a11y.read_first_line(proc, 60)
    if not url or not url.startswith('http'):
        bail_out(f'the sandbox did not print its URL within 60 s ({" ".join(args)})')
    return proc, url


def tenant_subscription(url):
    """The tenant's numbers as the server has them (as its administrator reads them)."""
    request = urllib.request.Request(f'{url.rstrip("/")}/subscription',
                                     headers={'Luma-api-access-key': API_KEY,
                                              'Luma-tenant-externalId': TENANT})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)['resultData']


def start_app(url):
    env = dict(os.environ)
    env.pop('NO_AT_BRIDGE', None)
    env.pop('GTK_A11Y', None)
    env['GSETTINGS_BACKEND'] = 'memory'
    env['LUMA_PASSWORD'] = ROOT_PASS
    env.setdefault('GSK_RENDERER', 'cairo')
    # English words in any run (the names looked for are English); numbers keep the caller's
    # locale ("1.000" in German), which numbers_in() reads. As test-a11y.py.
    env['LANGUAGE'] = 'en'
    for var in ('XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'):
        env[var] = os.path.join(a11y.tmpdir, var.lower())
        os.makedirs(env[var], exist_ok=True)
    args = [os.environ['LUMA_SUBSCRIPTION'], '--server', url, '--superadmin', ROOT_USER]
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr)
    a11y.children.append(proc)
    return proc


# ---- Reading and operating ------------------------------------------------------------------

def toplevels(app_acc):
    """(accessible, role, name) of the application's windows, read fresh."""
    found = []
    app_acc.clear_cache()
    for i in range(app_acc.get_child_count()):
        try:
            child = app_acc.get_child_at_index(i)
            if child is not None:
                found.append((child, child.get_role_name(), child.get_name() or ''))
        except Exception:
            continue
    return found


def wait_toplevel(app_acc, pattern, timeout=20):
    regex = re.compile(pattern)

    def look():
        for acc, role, name in toplevels(app_acc):
            if regex.search(name):
                return acc
        return None
    return a11y.wait_for(look, timeout, 0.3)


def is_sensitive(Atspi, acc):
    """GTK 4.8 says SENSITIVE of a widget that can be operated, and never ENABLED."""
    acc.clear_cache()
    return a11y.has_state(Atspi, acc, Atspi.StateType.SENSITIVE)


def state_names(Atspi, acc):
    return [Atspi.StateType(s).value_nick for s in a11y.states(Atspi, acc).get_states()]


def text_of(acc):
    try:
        acc.clear_cache()
        return acc.get_text(0, acc.get_character_count())
    except Exception:
        return None


def labels_text(tree):
    """The texts of the visible labels of a tree (what a screen reader reads in reading mode)."""
    Atspi = tree.Atspi
    return [n[2] for n in tree.nodes if n[1] == 'label' and n[2]
            and a11y.has_state(Atspi, n[0], Atspi.StateType.VISIBLE)]


class Keyboard:
    """Synthetic keys (XTest) and the focus events that follow them."""

    def __init__(self, Atspi, GLib, app_acc):
        self.Atspi = Atspi
        self.context = GLib.MainContext.default()
        self.app_acc = app_acc
        self.focused = []
        self.listener = Atspi.EventListener.new(self._on_focus)
        self.listener.register('object:state-changed:focused')
        # The registry tells the application about a new listener asynchronously.
        self.pump(1.0)

    def _on_focus(self, event):
        try:
            if event.detail1 == 1 and event.source.get_application() == self.app_acc:
                parent = event.source.get_parent()
                self.focused.append((event.source.get_role_name(), event.source.get_name() or '',
                                     parent.get_name() or '' if parent is not None else ''))
        except Exception:
            pass

    def pump(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            while self.context.iteration(False):
                pass
            time.sleep(0.02)

    def key(self, keysym, kind=None):
        result = self.Atspi.generate_keyboard_event(keysym, None,
                                                    kind or self.Atspi.KeySynthType.SYM)
        self.pump(0.15)
        return result

    def type_text(self, text):
        """Types into the focused field (which selected its text when Tab focused it)."""
        for ch in text:
            if not self.key(ord(ch)):
                return False
        self.pump(0.3)
        return True

    def tab_to(self, pattern, presses=16, role=None):
        """Presses Tab until the newly focused object or its parent has a name matching
        @pattern (and the focused object the role @role, if given); None when keys cannot be
        synthesized. Only what Tab focused counts: the text of an AdwEntryRow takes the focus
        without an event, so the last event may be older than the focus."""
        regex = re.compile(pattern, re.IGNORECASE)
        start = len(self.focused)

        def matches():
            return len(self.focused) > start and role in (None, self.focused[-1][0]) and \
                any(regex.search(spoken(n)) for n in self.focused[-1][1:])
        for _ in range(presses):
            if not self.key(KEY_TAB):
                return None
            self.pump(0.2)
            if matches():
                return True
        return False

    def close(self):
        self.listener.deregister('object:state-changed:focused')


def open_tenant(Atspi, keyboard, app_acc):
    """Opens the tenant from the board as a keyboard user does: Tab to its row, Return."""
    def board():
        t = a11y.Tree(Atspi, app_acc)
        return t if any(TENANT_NAME in n[2] for n in t.nodes) else None
    tree = a11y.wait_for(board, 60, 1.0)
    if not ok(tree is not None, f'the tenants board lists "{TENANT_NAME}"'):
        return None
    # The board's only row is the tenant's (GTK 4.8 names a row after its type).
    reached = keyboard.tab_to(r'', 24, role='table row')
    ok(reached, 'keyboard: Tab reaches the tenant\'s row on the board',
       ['focus went: ' + ' -> '.join(f'{r} "{n}" (in "{p}")' for r, n, p in keyboard.focused)])
    if not reached:
        return None
    keyboard.key(KEY_RETURN)

    def opened():
        t = a11y.Tree(Atspi, app_acc)
        found = t.find('push button', REFILL_BUTTON)
        return (t, found[0]) if found else None
    return a11y.wait_for(opened, 60, 1.0)


# ---- The checks -----------------------------------------------------------------------------

def main():
    signal.signal(signal.SIGTERM, a11y.on_signal)
    signal.signal(signal.SIGINT, a11y.on_signal)
    print('TAP version 13', flush=True)
    a11y.require_environment()
    Atspi, Gio, GLib = a11y.import_atspi()
    a11y.tmpdir = tempfile.mkdtemp(prefix='luma-a11y-refill-')

    address = a11y.ensure_a11y_bus(Gio, GLib)
    diag(f'accessibility bus: {address}')
    if Atspi.init() not in (0, 1):
        bail_out('atspi_init() failed')
    if Atspi.get_desktop(0) is None:
        bail_out('the AT-SPI registry does not answer')

    sandbox, url = start_sandbox()
    before = tenant_subscription(url)
    available = int(before['available'])
    diag(f'sandbox at {url}: tenant {TENANT}, {before["consumed"]} of {before["totalPurchase"]} '
         f'consumed, {available} available')
    if not 0 < available < LICENSES:
        bail_out(f'the tenant needs some licenses consumed and some available ({available})')

    proc = start_app(url)
    app_acc = a11y.find_application(Atspi, proc.pid, proc, 90)
    if app_acc == 'exited' or app_acc is None:
        bail_out('luma-subscription did not register on the accessibility bus within 90 s '
                 f'(exit status {proc.returncode})')

    keyboard = Keyboard(Atspi, GLib, app_acc)
    try:
        check_dialog(Atspi, keyboard, app_acc, sandbox, url, before, available)
    except GLib.Error as error:
        bail_out(f'{error.message} (luma-subscription\'s exit status: {proc.poll()})')
    finally:
        keyboard.close()

    a11y.cleanup()
    print(f'1..{a11y.tap_count}', flush=True)
    return 1 if a11y.tap_failed else 0


def check_dialog(Atspi, keyboard, app_acc, sandbox, url, before, available):
    opened = open_tenant(Atspi, keyboard, app_acc)
    if not ok(opened is not None, 'the tenant\'s page offers "Add or remove licenses"'):
        bail_out('no tenant page to test the refill dialog on')
    tree, refill = opened
    description = refill[3]
    ok(a11y.wait_for(lambda: is_sensitive(Atspi, refill[0]), 30, 0.5),
       'online, "Add or remove licenses" is sensitive', f'states {state_names(Atspi, refill[0])}')
    ok(not re.search(r'offline', description, re.IGNORECASE),
       'online, its description gives no reason to be disabled', f'description "{description}"')

    # The dialog opens adding, and says so.
    ok(a11y.do_action(refill[0]), '"Add or remove licenses" is operable through its action')
    title_add = rf'^Add Licenses to {re.escape(TENANT_NAME)}$'
    dialog = wait_toplevel(app_acc, title_add)
    if not ok(dialog is not None, f'the dialog opens titled "Add Licenses to {TENANT_NAME}"',
              [f'{r} "{n}"' for _, r, n in toplevels(app_acc)]):
        bail_out('no refill dialog')
    tree = a11y.Tree(Atspi, dialog)
    ok(bool(tree.find('push button', r'^Add Licenses…$')),
       'adding, its button says "Add Licenses…"',
       sorted({n[2] for n in tree.nodes if n[1] == 'push button'}))
    remove_toggle = tree.find({'toggle button', 'push button'}, r'^Remove licenses$')
    if not ok(bool(remove_toggle) and a11y.do_action(remove_toggle[0][0]),
              'the "Remove licenses" toggle is operable through its action'):
        bail_out('cannot switch the dialog to removing')

    # Removing: title and buttons say so, and no word says Refill or Add.
    title_remove = rf'^Remove Licenses from {re.escape(TENANT_NAME)}$'
    ok(a11y.wait_for(lambda: dialog.clear_cache() or re.search(title_remove, dialog.get_name() or ''),
                     10, 0.3),
       f'removing, the dialog is titled "Remove Licenses from {TENANT_NAME}"',
       f'title "{dialog.get_name()}"')
    tree = a11y.Tree(Atspi, dialog)
    buttons = sorted({spoken(n[2]) for n in tree.nodes if n[1] == 'push button'})
    remove_button = tree.find('push button', r'^Remove Licenses…$')
    ok(bool(remove_button) and 'Add Licenses…' not in buttons,
       'removing, its button says "Remove Licenses…" (and none "Add Licenses")', buttons)
    words = [dialog.get_name() or ''] + buttons + labels_text(tree)
    ok(not any(re.search(r'refill', w, re.IGNORECASE) for w in words),
       'removing, neither the title, the buttons nor the texts say "Refill"', words)
    if not remove_button:
        bail_out('no Remove Licenses button')
    remove_button = remove_button[0][0]

    # More than is available: the button cannot be used, the dialog says how many can be.
    spin = a11y.Tree(Atspi, dialog).find('spin button', r'^Number of licenses$')
    if not spin:
        bail_out('no "Number of licenses" spin button in the dialog')
    spin = spin[0][0]

    def enter_amount(amount):
        """Tab to the amount, type it (Tab selected the old one) and Tab on: the spin button
        takes what was typed when it loses the focus, and the reason has the focus."""
        reached = keyboard.tab_to(r'^Number of licenses$')
        if reached is None:
            bail_out('no synthetic key events (XTest): cannot type the amount')
        typed = reached and keyboard.type_text(str(amount))
        keyboard.key(KEY_TAB)
        spin.clear_cache()
        text, value = text_of(spin), spin.get_current_value()
        ok(typed and value == amount and a11y.numbers_in(text or '') == [amount],
           f'keyboard: Tab reaches "Number of licenses" and {amount} is typed into it',
           [f'its text "{text}", its value {value}', 'focus went: ' + ' -> '.join(
               f'{r} "{n}" (in "{p}")' for r, n, p in keyboard.focused[-12:])])

    enter_amount(available + 1)
    # The Tab after the amount went to the reason: with one, only the amount stands in the
    # way of a confirmation.
    keyboard.type_text('Unused licenses')
    reason = a11y.Tree(Atspi, dialog).find('text', r'^Reason')
    ok(bool(reason) and text_of(reason[0][0]) == 'Unused licenses',
       'keyboard: the reason is typed after the amount',
       f'its text "{text_of(reason[0][0]) if reason else None}"')

    def refusal():
        for text in labels_text(a11y.Tree(Atspi, dialog)):
            if re.search(r'can be removed', text):
                return text
        return None
    refused = a11y.wait_for(refusal, 15, 0.3)
    diag(f'the dialog says: "{refused}"')
    ok(refused is not None and available in a11y.numbers_in(refused),
       f'{available + 1} to remove: the dialog reads "At most {available} licenses can be removed"',
       f'label "{refused}"; labels: {labels_text(a11y.Tree(Atspi, dialog))}')
    ok(not is_sensitive(Atspi, remove_button),
       f'{available + 1} to remove: "Remove Licenses…" is not sensitive',
       f'states {state_names(Atspi, remove_button)}')
    tree = a11y.Tree(Atspi, dialog)
    ok(not any('→' in t for t in labels_text(tree)),
       'no preview of a removal that cannot happen', labels_text(tree))
    # Its action does nothing: no confirmation, nothing sent.
    windows = len(toplevels(app_acc))
    a11y.do_action(remove_button)
    keyboard.pump(2.0)
    ok(len(toplevels(app_acc)) == windows and
       tenant_subscription(url)['totalPurchase'] == before['totalPurchase'],
       'the insensitive button\'s action opens no confirmation and changes nothing',
       [f'{r} "{n}"' for _, r, n in toplevels(app_acc)])

    # Exactly what is available: the button works (the test sees sensitivity at all).
    enter_amount(available)
    ok(a11y.wait_for(lambda: is_sensitive(Atspi, remove_button), 15, 0.3),
       f'{available} to remove: "Remove Licenses…" is sensitive',
       f'states {state_names(Atspi, remove_button)}')
    tree = a11y.Tree(Atspi, dialog)
    texts = labels_text(tree)
    previews = [t for t in texts if '→' in t]
    ok(not any(re.search(r'can be removed', t) for t in texts) and previews and
       a11y.numbers_in(previews[0])[-2:] == [available, 0],
       f'{available} to remove: no refusal, the preview reads "Available: {available} → 0"', texts)

    # The confirmation asks to remove.
    ok(a11y.do_action(remove_button), '"Remove Licenses…" is operable through its action')

    def confirmation():
        for acc, role, name in toplevels(app_acc):
            if acc != dialog and any(re.search(r'^Remove \S+ licenses? from', t)
                                     for t in labels_text(a11y.Tree(Atspi, acc))):
                return acc
        return None
    confirm = a11y.wait_for(confirmation, 15, 0.5)
    if ok(confirm is not None,
          f'the confirmation asks "Remove {available} licenses from {TENANT_NAME}?"',
          [f'{r} "{n}"' for _, r, n in toplevels(app_acc)]):
        tree = a11y.Tree(Atspi, confirm)
        heading = [t for t in labels_text(tree) if re.search(r'^Remove .* from', t)][0]
        ok(available in a11y.numbers_in(heading) and TENANT_NAME in heading,
           'the confirmation names the number and the tenant', f'heading "{heading}"')
        buttons = sorted({spoken(n[2]) for n in tree.nodes if n[1] == 'push button'})
        ok('Remove Licenses' in buttons and not any(re.search(r'refill|^add', b, re.IGNORECASE)
                                                   for b in buttons),
           'the confirmation\'s button says "Remove Licenses"', buttons)
        cancel = tree.find('push button', r'^Cancel$')
        ok(bool(cancel) and a11y.do_action(cancel[0][0]) and
           a11y.wait_for(lambda: all(acc != confirm for acc, _, _ in toplevels(app_acc)), 10, 0.3),
           'Cancel of the confirmation closes it')
    ok(tenant_subscription(url)['totalPurchase'] == before['totalPurchase'],
       'nothing was removed without a confirmation')

    cancel = a11y.Tree(Atspi, dialog).find('push button', r'^Cancel$')
    ok(bool(cancel) and a11y.do_action(cancel[0][0]) and
       a11y.wait_for(lambda: wait_toplevel(app_acc, title_remove, 0) is None, 10, 0.3),
       'Cancel closes the dialog')

    # Offline: the sandbox stops; after a refresh the button is disabled and says why.
    sandbox.terminate()
    sandbox.wait(timeout=20)
    refresh = a11y.Tree(Atspi, app_acc).find('push button', r'^Refresh\b')
    ok(bool(refresh) and a11y.do_action(refresh[0][0]), 'the Refresh button is operable')

    def disabled():
        tree = a11y.Tree(Atspi, app_acc)
        found = tree.find('push button', REFILL_BUTTON)
        if found and not is_sensitive(Atspi, found[0][0]):
            return found[0]
        return None
    button = a11y.wait_for(disabled, 60, 1.0)
    ok(button is not None, 'offline, "Add or remove licenses" is not sensitive')
    if button is not None:
        reason = button[3]
        if not reason:
            # Read again: the description may follow the state.
            reason = a11y.wait_for(lambda: button[0].clear_cache() or button[0].get_description(),
                                   5, 0.3) or ''
        ok(re.search(r'offline', reason, re.IGNORECASE) and re.search(r'connection|server', reason),
           'offline, its description says why it is disabled', f'description "{reason}"')


if __name__ == '__main__':
    try:
        sys.exit(main())
    finally:
        a11y.cleanup()
