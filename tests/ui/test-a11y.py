#!/usr/bin/python3
# test-a11y.py: the running application as a screen reader sees it
#
# Starts luma-sandbox and the real luma-subscription on one of its tenants, then reads the
# application's accessibility tree over AT-SPI (the bus Orca uses) and finds every main control
# by its role and name, operates the view switcher and buttons through their accessible actions,
# checks the text alternatives of the gauge and the chart against the sandbox's numbers, lists
# every control without a name, and walks the window with the Tab key.
#
# Runs under Xvfb and a private D-Bus session (build-aux/check): without a display or a session
# bus it fails, it does not skip. Output is TAP. Environment (set by tests/ui/meson.build):
#   LUMA_SANDBOX        the luma-sandbox executable
#   LUMA_SUBSCRIPTION   the luma-subscription executable
#   GSETTINGS_SCHEMA_DIR the compiled schemas of the build
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings

TENANT = 'a11y-tenant'
TENANT_NAME = 'Accessible Example'
API_KEY = 'a11y-test-key'
LICENSES = 1000
SEED_RECORDS = 150
ROWS_READ = 12
EDIT_CONTACTS = r'^Edit\b.*contacts|contacts.*\bEdit\b'

# Controls a person operates: each needs a name a screen reader can speak.
CONTROL_ROLES = {
    'push button', 'toggle button', 'check box', 'radio button', 'entry', 'text',
    'password text', 'combo box', 'spin button', 'slider', 'menu item', 'check menu item',
    'radio menu item', 'page tab', 'link', 'switch', 'toggle switch', 'menu button',
}

# GTK 4.8 names a widget that has no label after its type ("GtkImage", "AdwGizmo"): for a
# listener that is no name at all.
TYPE_NAME = re.compile(r'^(Gtk|Adw|Luma|Gdk)[A-Z][A-Za-z]*$')

tap_count = 0
tap_failed = 0
children = []       # processes to stop at exit, newest last
tmpdir = None


def diag(text):
    for line in str(text).splitlines() or ['']:
        print('# ' + line, flush=True)


def ok(condition, description, details=None):
    """One TAP test point; details (a string or a list) are printed when it fails."""
    global tap_count, tap_failed
    tap_count += 1
    if condition:
        print(f'ok {tap_count} - {description}', flush=True)
    else:
        tap_failed += 1
        print(f'not ok {tap_count} - {description}', flush=True)
        if isinstance(details, (list, tuple)):
            for d in details:
                diag('  ' + str(d))
        elif details:
            diag('  ' + str(details))
    return condition


def skip(description, reason):
    global tap_count
    tap_count += 1
    print(f'ok {tap_count} - {description} # SKIP {reason}', flush=True)


def bail_out(message):
    print(f'Bail out! {message}', flush=True)
    cleanup()
    sys.exit(1)


def cleanup():
    while children:
        proc = children.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)


def on_signal(signum, frame):
    cleanup()
    sys.exit(128 + signum)


# ---- The environment ------------------------------------------------------------------------

def require_environment():
    missing = []
    if not os.environ.get('DISPLAY') and not os.environ.get('WAYLAND_DISPLAY'):
        missing.append('no display (DISPLAY/WAYLAND_DISPLAY): run the ui suite under xvfb-run, '
                       'as build-aux/check does')
    if not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
        missing.append('no D-Bus session (DBUS_SESSION_BUS_ADDRESS): run the ui suite under '
                       'dbus-run-session, as build-aux/check does')
    for var in ('LUMA_SANDBOX', 'LUMA_SUBSCRIPTION'):
        path = os.environ.get(var)
        if not path or not os.access(path, os.X_OK):
            missing.append(f'{var} is not an executable ({path!r}); tests/ui/meson.build sets it')
    if missing:
        bail_out('; '.join(missing))


def import_atspi():
    try:
        import gi
        gi.require_version('Atspi', '2.0')
        from gi.repository import Atspi, Gio, GLib
    except (ImportError, ValueError) as error:
        bail_out(f'cannot load the AT-SPI client library ({error}); build-aux/install-deps '
                 'installs python3-pyatspi and gir1.2-atspi-2.0 for /usr/bin/python3')
    return Atspi, Gio, GLib


def find_bus_launcher():
    for path in ('/usr/libexec/at-spi-bus-launcher',
                 '/usr/lib/at-spi2-core/at-spi-bus-launcher',
                 '/usr/lib/at-spi2/at-spi-bus-launcher',
                 '/usr/libexec/at-spi2/at-spi-bus-launcher'):
        if os.access(path, os.X_OK):
            return path
    return shutil.which('at-spi-bus-launcher')


def ensure_a11y_bus(Gio, GLib):
    """Returns the address of the accessibility bus, starting its launcher when the session
    does not (GTK looks it up through org.a11y.Bus on the session bus, as we do)."""
    session = Gio.bus_get_sync(Gio.BusType.SESSION, None)

    def get_address():
        try:
            reply = session.call_sync('org.a11y.Bus', '/org/a11y/bus', 'org.a11y.Bus',
                                      'GetAddress', None, GLib.VariantType('(s)'),
                                      Gio.DBusCallFlags.NONE, 10000, None)
            return reply.unpack()[0]
        except GLib.Error as error:
            diag(f'org.a11y.Bus.GetAddress: {error.message}')
            return None

    address = get_address()
    if address:
        return address

    launcher = find_bus_launcher()
    if launcher is None:
        bail_out('no accessibility bus: org.a11y.Bus is not on the session bus and '
                 'at-spi-bus-launcher is not installed (package at-spi2-core)')
    diag(f'starting {launcher} --launch-immediately')
    children.append(subprocess.Popen([launcher, '--launch-immediately'],
                                     stdin=subprocess.DEVNULL, stdout=sys.stderr))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.2)
        address = get_address()
        if address:
            return address
    bail_out('the accessibility bus did not start within 30 s')


# ---- The sandbox and the application --------------------------------------------------------

def read_first_line(proc, timeout):
    deadline = time.monotonic() + timeout
    data = b''
    fd = proc.stdout.fileno()
    while b'\n' not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or proc.poll() is not None:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            data += chunk
    return data.split(b'\n', 1)[0].decode().strip()


def start_sandbox():
    args = [os.environ['LUMA_SANDBOX'], '--port', '0',
            '--tenant', TENANT, '--tenant-name', TENANT_NAME, '--api-key', API_KEY,
            '--license-model', 'session', '--licenses', str(LICENSES),
            '--seed', str(SEED_RECORDS), '--seed-value', '7']
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    children.append(proc)
    url = read_first_line(proc, 60)
    if not url or not url.startswith('http'):
        bail_out(f'the sandbox did not print its URL within 60 s ({" ".join(args)})')
    return url


def sandbox_consumed(url):
    root = url.split('/gateway/', 1)[0]
    with urllib.request.urlopen(f'{root}/sandbox/tenants/{TENANT}/stats', timeout=30) as reply:
        envelope = json.load(reply)
    return int(envelope['resultData']['consumed'])


def sandbox_set_faults(url, body):
    root = url.split('/gateway/', 1)[0]
    request = urllib.request.Request(f'{root}/sandbox/faults', data=json.dumps(body).encode(),
                                     method='PUT', headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()


def start_app(url):
    env = dict(os.environ)
    # The test reads the tree as any assistive technology would: nothing may turn it off.
    env.pop('NO_AT_BRIDGE', None)
    env.pop('GTK_A11Y', None)
    env['GSETTINGS_BACKEND'] = 'memory'
    env['LUMA_API_KEY'] = API_KEY
    # Software GL under Xvfb is slow enough to starve the idle sources GTK registers the
    # accessible tree from; the renderer is not what this test checks. An explicit choice wins.
    env.setdefault('GSK_RENDERER', 'cairo')
    for var in ('XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'):
        env[var] = os.path.join(tmpdir, var.lower())
        os.makedirs(env[var], exist_ok=True)
    args = [os.environ['LUMA_SUBSCRIPTION'], '--server', url, '--tenant', TENANT]
    # Standard output belongs to TAP: the application's goes to the log via stderr.
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr)
    children.append(proc)
    return proc


# ---- Reading the tree -----------------------------------------------------------------------

class Tree:
    """A snapshot of the application's accessible tree, read fresh from the bus."""

    def __init__(self, Atspi, app):
        self.Atspi = Atspi
        self.app = app
        self.nodes = []      # (accessible, role, name, description, parent index, depth)
        started = time.monotonic()
        app.clear_cache()
        self._walk(app, -1, 0)
        if os.environ.get('LUMA_A11Y_VERBOSE'):
            diag(f'read {len(self.nodes)} objects in {time.monotonic() - started:.1f} s')

    def _walk(self, acc, parent, depth):
        try:
            role = acc.get_role_name()
            name = acc.get_name() or ''
            description = acc.get_description() or ''
            count = acc.get_child_count()
        except Exception:    # an object that went away while we read it
            return
        index = len(self.nodes)
        self.nodes.append((acc, role, name, description, parent, depth))
        rows = 0
        for i in range(count):
            try:
                child = acc.get_child_at_index(i)
            except Exception:
                continue
            if child is None:
                continue
            # The rows of a list come from one factory: the first few show what all say, and
            # reading hundreds of them over the bus would take minutes.
            if role in ('list', 'tree table', 'table', 'tree') and \
               child.get_role_name() in ('table row', 'list item', 'tree item'):
                rows += 1
                if rows > ROWS_READ:
                    continue
            self._walk(child, index, depth + 1)

    def find(self, roles, pattern):
        """Every node with one of @roles whose spoken name matches the regular expression."""
        if isinstance(roles, str):
            roles = {roles}
        regex = re.compile(pattern, re.IGNORECASE)
        return [n for n in self.nodes if n[1] in roles and regex.search(spoken(n[2]))]

    def parent(self, node):
        return self.nodes[node[4]] if node[4] >= 0 else None

    def ancestors(self, node):
        p = self.parent(node)
        while p is not None:
            yield p
            p = self.parent(p)

    def path(self, node):
        parts = [f'{n[1]} "{n[2]}"' for n in reversed(list(self.ancestors(node)))
                 if n[2] and not TYPE_NAME.match(n[2])]
        return ' > '.join(parts[-3:] + [f'{node[1]} "{node[2]}"'])


def spoken(name):
    """The name as read aloud: GTK 4.8 keeps the mnemonic underscore of a button's label in
    the name ("_Edit"), which a screen reader spells out or skips."""
    return re.sub(r'(?<![\w])_(?=\w)', '', name or '')


def states(Atspi, acc):
    try:
        return acc.get_state_set()
    except Exception:
        return Atspi.StateSet.new([])


def has_state(Atspi, acc, state):
    return states(Atspi, acc).contains(state)


def action_names(acc):
    try:
        count = acc.get_n_actions()
        # Deprecated in favour of a get_name that AT-SPI 2.46 does not introspect.
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            return [acc.get_action_name(i) for i in range(count)]
    except Exception:
        return []


def do_action(acc, preferred=('click', 'activate', 'press')):
    """Operates a control through its accessible action, as a screen reader's "activate"."""
    names = action_names(acc)
    for want in preferred:
        if want in names:
            return acc.do_action(names.index(want))
    return False


def wait_for(predicate, timeout, interval=0.3):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def numbers_in(text):
    """The integers of a text, read with any digit grouping ("1,000", "1 000", "1.000")."""
    joined = re.sub(r'(?<=\d)[,.\u00a0\u202f\u2009 \'](?=\d{3}\b)', '', text)
    return [int(n) for n in re.findall(r'\d+', joined)]


def is_unnamed(name):
    return not spoken(name).strip() or bool(TYPE_NAME.match(name.strip()))


# ---- The checks -----------------------------------------------------------------------------

def find_application(Atspi, pid, proc, timeout):
    def look():
        if proc.poll() is not None:
            return 'exited'
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            child = desktop.get_child_at_index(i)
            try:
                if child is not None and child.get_process_id() == pid:
                    return child
            except Exception:
                continue
        return None
    return wait_for(look, timeout, 0.5)


def wait_selected(Atspi, tabs, timeout=15):
    """Waits until one of @tabs (the same page in each view switcher) is selected."""
    def selected():
        for tab in tabs:
            tab[0].clear_cache()
            if has_state(Atspi, tab[0], Atspi.StateType.SELECTED):
                return True
        return False
    return bool(tabs) and wait_for(selected, timeout, 0.3)


def check_named(tree, description, roles, pattern, focusable=True):
    """A test point: at least one control with a role of @roles and a name matching @pattern;
    returns the first."""
    Atspi = tree.Atspi
    found = tree.find(roles, pattern)
    if not found:
        near = sorted({f'{n[1]} "{n[2]}"' for n in tree.nodes
                       if n[1] in (roles if isinstance(roles, set) else {roles}) and n[2]})
        ok(False, description,
           [f'no {roles} named /{pattern}/ in the tree; there are:'] + near[:40])
        return None
    if focusable:
        reachable = [n for n in found if has_state(Atspi, n[0], Atspi.StateType.FOCUSABLE)]
        ok(bool(reachable), description,
           [f'{tree.path(n)} is not focusable (keyboard users cannot reach it)' for n in found])
        return (reachable or found)[0]
    ok(True, description)
    return found[0]


def unnamed_controls(tree):
    """(offenders, toolkit notes): controls a listener would hear only as their role. Parts of
    toolkit widgets (the button inside a GtkDropDown, the reveal button of a password row) are
    controls too: Orca announces them when they take focus."""
    offenders = []
    for node in tree.nodes:
        acc, role, name, description, parent, depth = node
        if role not in CONTROL_ROLES or not is_unnamed(name):
            continue
        offenders.append(f'{tree.path(node)} (description: "{description}")')
    return offenders, []


def doubled_name(name):
    """The repeated part when @name says the same words twice, as GTK 4.8 does when it joins a
    widget's accessible label and the text of its mnemonic label ("Edit the contacts Edit",
    "_Tenant Administrator Tenant Administrator"); None for a name read once."""
    words = spoken(name).split()
    lowered = [w.lower() for w in words]
    for i in range(1, len(words)):
        tail = lowered[i:]
        # A repeated label starts with a capital; counts and ids ("3 conversations of 3") do not.
        if not words[i][:1].isupper():
            continue
        head = lowered[:i]
        for j in range(0, len(head) - len(tail) + 1):
            if head[j:j + len(tail)] == tail:
                return ' '.join(words[i:])
    return None


def badly_named_controls(tree):
    """Controls whose name a listener hears wrongly: doubled, or with a mnemonic underscore."""
    doubled, underscored = [], []
    for node in tree.nodes:
        acc, role, name, description, parent, depth = node
        if role not in CONTROL_ROLES or is_unnamed(name):
            continue
        repeated = doubled_name(name)
        if repeated:
            doubled.append(f'{tree.path(node)} (says "{repeated}" twice)')
        if spoken(name) != name:
            underscored.append(f'{tree.path(node)} (keeps the mnemonic underscore)')
    return doubled, underscored


def tab_walk(Atspi, GLib, app_acc, presses, back_first=False):
    """Presses Tab @presses times and returns the (role, name) of each focused object.
    With @back_first, Shift+Tab first: the control focused when the page opened (the window
    focuses the page it shows) is then reached by the first Tab and heard again."""
    focused = []

    def on_focus(event):
        try:
            if event.detail1 == 1 and event.source.get_application() == app_acc:
                parent = event.source.get_parent()
                focused.append((event.source.get_role_name(), event.source.get_name() or '',
                                parent.get_name() or '' if parent is not None else ''))
        except Exception:
            pass

    listener = Atspi.EventListener.new(on_focus)
    listener.register('object:state-changed:focused')
    context = GLib.MainContext.default()
    try:
        if back_first:
            shift_mask = 1  # ShiftMask, latched around one Tab
            if not (Atspi.generate_keyboard_event(shift_mask, None, Atspi.KeySynthType.LOCKMODIFIERS)
                    and Atspi.generate_keyboard_event(0xff09, None, Atspi.KeySynthType.SYM)
                    and Atspi.generate_keyboard_event(shift_mask, None,
                                                      Atspi.KeySynthType.UNLOCKMODIFIERS)):
                return None
            time.sleep(0.25)
        for _ in range(presses):
            if not Atspi.generate_keyboard_event(0xff09, None, Atspi.KeySynthType.SYM):  # Tab
                return None
            deadline = time.monotonic() + 0.25
            while time.monotonic() < deadline:
                while context.iteration(False):
                    pass
                time.sleep(0.02)
    finally:
        listener.deregister('object:state-changed:focused')
    return focused


def keyboard_check(focused, description, wanted):
    """A test point over what tab_walk() saw: each pattern matched the focused object's name
    or, for the parts of a combo box, its parent's."""
    if focused is None:
        skip(description, 'no synthetic key events (XTest)')
        return
    if not focused:
        skip(description, 'the window never took keyboard focus (no window manager?)')
        return
    names = [spoken(n) for _, n, _ in focused] + [spoken(p) for _, _, p in focused]
    missing = [w for w in wanted if not any(re.search(w, n, re.IGNORECASE) for n in names)]
    ok(not missing, description,
       [f'never focused: /{w}/' for w in missing] +
       ['focus went: ' + ' -> '.join(f'{r} "{n}"' for r, n, _ in focused)])


def main():
    global tmpdir
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print('TAP version 13', flush=True)

    require_environment()
    Atspi, Gio, GLib = import_atspi()
    tmpdir = tempfile.mkdtemp(prefix='luma-a11y-')

    address = ensure_a11y_bus(Gio, GLib)
    diag(f'accessibility bus: {address}')
    # Orca's first call: the registry (started on demand on the accessibility bus) answers.
    if Atspi.init() not in (0, 1):
        bail_out('atspi_init() failed')
    if Atspi.get_desktop(0) is None:
        bail_out('the AT-SPI registry does not answer')

    url = start_sandbox()
    consumed = sandbox_consumed(url)
    diag(f'sandbox at {url}: tenant {TENANT}, {consumed} of {LICENSES} licenses consumed')
    proc = start_app(url)

    app_acc = find_application(Atspi, proc.pid, proc, 90)
    if app_acc == 'exited':
        bail_out(f'luma-subscription exited with status {proc.returncode} before its window '
                 'appeared (another instance on this session bus?)')
    if not ok(app_acc is not None,
              'the application registers on the accessibility bus',
              'luma-subscription did not appear in the registry within 90 s '
              '(GTK_A11Y=none, or the main loop starved?)'):
        bail_out('no accessible application to test')
    ok(app_acc.get_role_name() == 'application', 'its root has the application role',
       app_acc.get_role_name())

    # The subscription page is filled after the first sync: the gauge's text then carries the
    # sandbox's numbers.
    def synced():
        tree = Tree(Atspi, app_acc)
        gauges = [n for n in tree.nodes if n[1] in ('level bar', 'progress bar', 'meter')
                  and re.search('consum', spoken(n[2]), re.IGNORECASE)]
        for g in gauges:
            if consumed in numbers_in(g[2] + ' ' + g[3]):
                return tree
        return None
    tree = wait_for(synced, 90, 1.0)
    if tree is None:
        tree = Tree(Atspi, app_acc)
    diag(f'{len(tree.nodes)} accessible objects in the tree')

    frames = tree.find('frame', r'Luma Subscription')
    ok(bool(frames), 'the window is a frame named "Luma Subscription"',
       [f'{n[1]} "{n[2]}"' for n in tree.nodes if n[5] == 1])

    # Header bar and view switcher.
    for page in ('Subscription', 'History', 'Purchases'):
        tab = check_named(tree, f'view switcher: page tab "{page}"', 'page tab', rf'^{page}$')
        if tab is not None:
            ok('click' in action_names(tab[0]) or 'activate' in action_names(tab[0]),
               f'page tab "{page}" can be activated through its accessible action',
               f'actions: {action_names(tab[0])}')
    tabs = {page: tree.find('page tab', rf'^{page}$')
            for page in ('Subscription', 'History', 'Purchases')}
    check_named(tree, 'header bar: the Refresh button', 'push button', r'^Refresh\b')
    check_named(tree, 'header bar: the primary menu button', {'push button', 'toggle button'},
                r'^Main menu$')

    # Subscription page.
    history_button = check_named(tree, 'subscription: the History button of Consumed',
                                 'push button', r'Consumption History')
    check_named(tree, 'contacts: the Edit button', 'push button', EDIT_CONTACTS)

    gauges = [n for n in tree.nodes if n[1] in ('level bar', 'progress bar', 'meter')
              and re.search('consum', spoken(n[2]), re.IGNORECASE)]
    ok(bool(gauges), 'the consumption gauge is a level bar named "Consumption"',
       sorted({f'{n[1]} "{n[2]}"' for n in tree.nodes if n[1] in ('level bar', 'progress bar')}))
    if gauges:
        text = gauges[0][2] + ' ' + gauges[0][3]
        values = numbers_in(text)
        ok(consumed in values and LICENSES in values,
           f'the gauge\'s text alternative says {consumed} of {LICENSES}',
           f'name "{gauges[0][2]}", description "{gauges[0][3]}"')

    charts = [n for n in tree.nodes if n[1] in ('image', 'chart', 'canvas', 'drawing area')
              and re.search('consumption', spoken(n[2]), re.IGNORECASE)]
    ok(bool(charts), 'the consumption chart is an image named after what it shows',
       sorted({f'{n[1]} "{n[2]}"' for n in tree.nodes if n[1] in ('image', 'chart')
               and not is_unnamed(n[2])}))
    if charts:
        values = numbers_in(charts[0][3])
        ok(any(0 < v <= consumed for v in values),
           'the chart\'s description gives its figures in words',
           f'description "{charts[0][3]}" (consumed: {consumed})')

    # A tenant administrator has no superadmin control.
    refill = tree.find(CONTROL_ROLES, r'\brefill')
    ok(not refill, 'a tenant administrator is offered no Refill control',
       [tree.path(n) for n in refill])

    # The contacts editor: Edit opens named address entries; Cancel leaves them.
    edit = tree.find('push button', EDIT_CONTACTS)
    if edit and do_action(edit[0][0]):
        def editing():
            t = Tree(Atspi, app_acc)
            entries = [n for n in t.nodes if n[1] in ('text', 'entry')
                       and re.search(r'@|mail', spoken(n[2]) + spoken(n[3]), re.IGNORECASE)]
            return (t, entries) if entries else None
        state = wait_for(editing, 15, 0.5)
        ok(state is not None, 'Edit (through its action) shows the address entries, each named',
           'no entry named after an email address or list appeared')
        if state is not None:
            t, entries = state
            diag('address entries: ' + ', '.join(f'"{n[2]}"' for n in entries[:6]))
            offenders, _ = unnamed_controls(t)
            ok(not offenders, 'while editing contacts, every control has a name', offenders)
            doubled, underscored = badly_named_controls(t)
            ok(not doubled and not underscored,
               'while editing contacts, no control name is doubled or keeps an underscore',
               doubled + underscored)
            cancel = t.find('push button', r'^Cancel\b.*contacts')
            ok(bool(cancel) and do_action(cancel[0][0]),
               'Cancel of the contacts editor is operable',
               'no "Cancel editing the contacts" button with a click action')
    else:
        ok(False, 'Edit (through its action) shows the address entries, each named',
           'the Edit button cannot be activated')

    # The History button of Consumed leads to the history page. The objects of the first
    # reading stay valid: reading the whole tree again takes seconds each time.
    if history_button and do_action(history_button[0]):
        ok(wait_selected(Atspi, tabs['History']),
           'the History button of Consumed opens the History page (its tab is selected)')
    else:
        ok(False, 'the History button of Consumed opens the History page (its tab is selected)',
           'no such button with a click action')

    # Back to Subscription, then to History through the view switcher, as Orca would.
    for page in ('Subscription', 'History'):
        acted = bool(tabs[page]) and do_action(tabs[page][0][0])
        ok(acted and wait_selected(Atspi, tabs[page]), f'activating the "{page}" tab selects it')

    tree = Tree(Atspi, app_acc)
    check_named(tree, 'history: the search entry', {'entry', 'text'}, r'^Search\b.*history')
    check_named(tree, 'history: the Download button', 'push button', r'^Download\b')
    for label in ('Channel', 'Initiated by'):
        combo = check_named(tree, f'history: the {label} filter', 'combo box',
                            rf'^{label}\b.*filter', focusable=False)
        if combo is not None:
            parts = [n for n in tree.nodes if n[4] >= 0 and tree.nodes[n[4]][0] == combo[0]
                     and has_state(Atspi, n[0], Atspi.StateType.FOCUSABLE)]
            ok(bool(parts) or has_state(Atspi, combo[0], Atspi.StateType.FOCUSABLE),
               f'history: the {label} filter can take keyboard focus')
    check_named(tree, 'history: the From date filter', {'entry', 'text'}, r'^From\b')
    check_named(tree, 'history: the To date filter', {'entry', 'text'}, r'^To\b')
    tables = tree.find({'tree table', 'table'}, r'Consumption History')
    ok(bool(tables), 'history: the table is named "License Consumption History"')
    conversations = tree.find('push button', r'^\d+ conversations? of \S+')
    ok(bool(conversations), 'history: each Conversations cell is a button named after its session',
       sorted({f'{n[1]} "{n[2]}"' for n in tree.nodes if n[1] == 'push button'})[:30])

    # Keyboard only on the history page: Tab reaches the search, the filters and Download.
    focused = tab_walk(Atspi, GLib, app_acc, 24, back_first=True)
    keyboard_check(focused, 'keyboard: Tab reaches the history search, filters and Download',
                   [r'^Search\b.*history', r'^Channel\b.*filter', r'^From\b', r'^To\b',
                    r'^Download\b'])

    if tabs['Purchases'] and do_action(tabs['Purchases'][0][0]):
        ok(wait_selected(Atspi, tabs['Purchases']), 'activating the "Purchases" tab selects it')
        tree = Tree(Atspi, app_acc)
        ok(bool(tree.find({'list', 'table', 'tree table'}, r'Purchase History')),
           'purchases: the list is named "License Purchase History"')
    else:
        ok(False, 'activating the "Purchases" tab selects it')
        tree = Tree(Atspi, app_acc)

    # Every control of the whole window (every page is in the tree) has a name.
    offenders, _ = unnamed_controls(tree)
    ok(not offenders, f'every control in the tree has a name ({len(tree.nodes)} objects read)',
       offenders)
    doubled, underscored = badly_named_controls(tree)
    ok(not doubled, 'no control says its name twice', doubled)
    ok(not underscored, 'no control name keeps a mnemonic underscore', underscored)

    # Keyboard only on the subscription page: Tab reaches the header and the page's buttons.
    if tabs['Subscription'] and do_action(tabs['Subscription'][0][0]):
        wait_selected(Atspi, tabs['Subscription'])
    focused = tab_walk(Atspi, GLib, app_acc, 40)
    keyboard_check(focused, 'keyboard: Tab reaches the header and the subscription page controls',
                   [r'^Refresh\b', r'^Main menu$', r'^History$', r'^Purchases$',
                    r'Consumption History', r'^Edit\b.*contacts'])

    # Stop syncing: shown while a sync runs (the next answer is held for ten minutes), named,
    # and operable through its accessible action; the sync then ends and the button goes.
    sandbox_set_faults(url, {'slowMs': 600000, 'faults': [{'kind': 'slow', 'rate': 1.0, 'count': 1}]})
    refresh = Tree(Atspi, app_acc).find('push button', r'^Refresh\b')
    if refresh and do_action(refresh[0][0]):
        tree = wait_for(lambda: (lambda t: t if t.find('push button', r'^Stop syncing$') else None)(
            Tree(Atspi, app_acc)), 30, 0.5)
        stop = check_named(tree or Tree(Atspi, app_acc),
                           'header bar: the Stop syncing button while a sync runs',
                           'push button', r'^Stop syncing$')
        ok(stop is not None and do_action(stop[0]) and
           wait_for(lambda: not Tree(Atspi, app_acc).find('push button', r'^Stop syncing$'), 30, 0.5),
           'Stop syncing (through its action) ends the held sync at once')
    else:
        ok(False, 'header bar: the Stop syncing button while a sync runs',
           'the Refresh button cannot be activated')
    sandbox_set_faults(url, {'faults': []})

    cleanup()
    print(f'1..{tap_count}', flush=True)
    return 1 if tap_failed else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    finally:
        cleanup()
