//! The group benchmark: a group of 10,000 members and 20,000 feedback items, opened from
//! IndexedDB in headless Chromium through the real relay and app, and opened from its share
//! link in a browser that has nothing of it. Prints the figures that `docs/perf.md` records.
//! Run it with `scripts/bench` (release builds).
//!
//! Usage: `bench-group [members] [feedback] [runs]`.

use std::time::Instant;

use cohort_model::{GroupDoc, GroupId, sample};
use cohort_sync::DocumentId;
use cohort_sync::automerge::Automerge;
use harness::{Browser, HarnessError, Relay, Result, SyncPeer, Viewport};
use serde_json::{Value, json};

/// Collects main-thread long tasks (over 50 ms) since the page started: the observer's
/// buffer holds those that happened before it was made.
const LONG_TASKS: &str = "
    const done = arguments[arguments.length - 1];
    const tasks = [];
    new PerformanceObserver(list => tasks.push(...list.getEntries().map(e => e.duration)))
        .observe({ type: 'longtask', buffered: true });
    setTimeout(() => done(tasks), 200);
";

/// Waits until the worker has stored a group's view in IndexedDB (the last thing it stores
/// when it shows a group fetched from the relay).
const VIEW_STORED: &str = "
    const done = arguments[arguments.length - 1];
    const check = () => {
        const request = indexedDB.open('cohort');
        request.onerror = () => setTimeout(check, 100);
        request.onsuccess = () => {
            const db = request.result;
            const count = db.transaction('views').objectStore('views').count();
            count.onsuccess = () => {
                db.close();
                count.result > 0 ? done(true) : setTimeout(check, 100);
            };
        };
    };
    check();
";

/// Changes the status of the first member in the table and reports, in milliseconds, when
/// the row showed the new status (DOM updated) and the next frame after that.
const EDIT_TO_DOM: &str = "
    const done = arguments[arguments.length - 1];
    const row = document.querySelector('tbody tr');
    const select = row.querySelector('select');
    const next = [...select.options].find(o => !o.selected).value;
    const id = row.dataset.member;
    const start = performance.now();
    const observer = new MutationObserver(() => {
        const now = document.querySelector(`tr[data-member=\"${id}\"]`);
        if (now && now.dataset.status === next) {
            observer.disconnect();
            const dom = performance.now() - start;
            requestAnimationFrame(() => done([dom, performance.now() - start]));
        }
    });
    observer.observe(document.querySelector('tbody'), { subtree: true, attributes: true, childList: true });
    select.value = next;
    select.dispatchEvent(new Event('change', { bubbles: true }));
";

/// Searches the members table (`arguments[0]` typed into the search box), or reverses its
/// order (`arguments[0]` null), and reports when the table showed the result, in
/// milliseconds, with the longest main-thread task meanwhile (0 if none took 50 ms).
const TABLE_CHANGE: &str = "
    const [search, done] = arguments;
    const tasks = [];
    const observer = new PerformanceObserver(list => tasks.push(...list.getEntries().map(e => e.duration)));
    observer.observe({ type: 'longtask' });
    const shown = () => document.querySelector('tbody tr')?.dataset.member + '|' + document.querySelector('p.count').textContent;
    const before = shown();
    const start = performance.now();
    const watcher = new MutationObserver(() => {
        if (shown() === before) return;
        watcher.disconnect();
        const ms = performance.now() - start;
        // Long tasks are reported after they end.
        requestAnimationFrame(() => setTimeout(() => {
            observer.disconnect();
            done([ms, Math.max(0, ...tasks)]);
        }, 100));
    });
    watcher.observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true, attributes: true });
    if (search === null) {
        document.querySelector('.sort-direction').click();
    } else {
        const input = document.querySelector('#member-search');
        input.value = search;
        input.dispatchEvent(new Event('input', { bubbles: true }));
    }
";

/// Each search and order change of the members table, from the whole list: the median time
/// to the result on screen and the longest main-thread task of any run.
async fn table_changes(browser: &Browser) -> Result<Value> {
    let mut report = serde_json::Map::new();
    // Pinyin initials, a full spelling, a Chinese character, a Latin name, and re-sorting
    // everyone (by pinyin) in the other direction.
    let cases: [(&str, Option<&str>); 5] = [
        ("search_pinyin_initials_zw", Some("zw")),
        ("search_pinyin_zhangwei", Some("zhangwei")),
        ("search_characters_张", Some("张")),
        ("search_latin_ada", Some("ada")),
        ("reverse_order_of_all", None),
    ];
    for (name, search) in cases {
        let mut times = Vec::new();
        let mut longest: f64 = 0.0;
        for _ in 0..5 {
            let measured = browser
                .execute_async(TABLE_CHANGE, vec![json!(search)])
                .await?;
            times.push(number(&measured[0])?);
            longest = longest.max(number(&measured[1])?);
            // Back to the whole list, in name order, for the next run.
            if search.is_some() {
                browser.set_value("#member-search", "").await?;
            }
            browser
                .wait_until("document.querySelectorAll('tbody tr').length === 25")
                .await?;
        }
        eprintln!(
            "{name}: {:.1} ms median, longest task {longest:.0} ms",
            median(&mut times)
        );
        report.insert(
            name.to_owned(),
            json!({ "to_screen_ms_median": median(&mut times), "longest_task_ms": longest }),
        );
    }
    Ok(Value::Object(report))
}

/// Starts keeping the page's longest main-thread task from now on, in `window.longestTask`.
const WATCH_LONG_TASKS: &str = "
    window.longestTask = 0;
    new PerformanceObserver(list => list.getEntries().forEach(e => {
        window.longestTask = Math.max(window.longestTask, e.duration);
    })).observe({ type: 'longtask' });
    return true;
";

/// Checks in the first member the check-in search found and reports, in milliseconds, when
/// their row on the activity's list read "attended" (DOM updated) and the next frame after.
const CHECK_IN_TO_DOM: &str = "
    const done = arguments[arguments.length - 1];
    const button = document.querySelector('.check-in-results .check-in-button');
    const id = button.dataset.member;
    const start = performance.now();
    const observer = new MutationObserver(() => {
        const row = document.querySelector(`.person[data-member=\"${id}\"]`);
        if (row && row.dataset.standing === 'attended') {
            observer.disconnect();
            const dom = performance.now() - start;
            requestAnimationFrame(() => done([dom, performance.now() - start]));
        }
    });
    observer.observe(document.querySelector('.attendance-list'), { subtree: true, attributes: true, childList: true });
    button.click();
";

/// The longest main-thread task since the page started, 0 if none took 50 ms.
async fn longest_task_so_far(browser: &Browser) -> Result<f64> {
    let tasks = browser.execute_async(LONG_TASKS, Vec::new()).await?;
    let tasks = tasks.as_array().cloned().unwrap_or_default();
    Ok(tasks.iter().filter_map(Value::as_f64).fold(0.0, f64::max))
}

/// A group of `members` members with 500 activities (about 50,000 attendance marks), opened
/// on its activities page after a reload; then the activity with 300 invitees; then ten
/// check-ins at its door, each from the tap to the row reading "attended".
async fn activities(browser: &Browser, relay: &Relay, members: usize) -> Result<Value> {
    let answer = |e: cohort_model::ApplyError| HarnessError::Answer(e.to_string());
    let mut doc = sample::group(members, 0, 43).map_err(answer)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let ids = sample::add_activities(&mut doc, 500, now, 44).map_err(answer)?;
    let marks: usize = doc
        .hydrate()
        .activities
        .values()
        .map(|a| a.attendance.len())
        .sum();
    let bytes = doc.save();
    browser.import_group(relay, &bytes).await?;
    let path = browser.current_url().await?.path().to_owned();
    let activities_url = format!(
        "{}{}",
        relay.url(),
        path[1..].replace("/members", "/activities")
    );

    // The activities page, opened by a reload, until the group is editable.
    browser.goto(&activities_url).await?;
    let started = Instant::now();
    browser.wait_for(".activity-item").await?;
    let list_shown = since(started);
    browser
        .wait_until("performance.getEntriesByName('cohort:loaded').length > 0")
        .await?;
    let list_longest = longest_task_so_far(browser).await?;

    // The activity with 300 invitees (the one furthest ahead).
    browser.execute(WATCH_LONG_TASKS, Vec::new()).await?;
    let started = Instant::now();
    browser.click(&format!("a[href$='/{}']", ids[0])).await?;
    // Its list draws a page of rows; the counts name all 300.
    browser
        .wait_until(
            "document.querySelector('.activity-counts')?.textContent.startsWith('Invited 300')",
        )
        .await?;
    browser.wait_for(".person").await?;
    let activity_shown = since(started);
    let invitees = 300;
    // Long tasks are reported once they end: a moment for the open's to be in.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let open_longest = number(&browser.eval("window.longestTask").await?)?;
    browser
        .execute("window.longestTask = 0; return true;", Vec::new())
        .await?;

    let mut to_dom = Vec::new();
    let mut to_frame = Vec::new();
    // The longest task while typing the name, and while checking in, kept apart.
    let mut search_longest: f64 = 0.0;
    let mut check_in_longest: f64 = 0.0;
    let take_longest = async || -> Result<f64> {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let longest = number(&browser.eval("window.longestTask").await?)?;
        browser
            .execute("window.longestTask = 0; return true;", Vec::new())
            .await?;
        Ok(longest)
    };
    // One search of a whole name at once (pasted, or committed by an input method), to the
    // suggestions on screen.
    let name = browser
        .eval("document.querySelector('.person[data-standing=invited] .person-name').textContent")
        .await?;
    take_longest().await?;
    let started = Instant::now();
    browser
        .set_value("#check-in-search", name.as_str().unwrap_or_default())
        .await?;
    browser
        .wait_for(".check-in-results .check-in-button")
        .await?;
    let one_search = since(started);
    let one_search_longest = take_longest().await?;
    browser.set_value("#check-in-search", "").await?;
    for _ in 0..10 {
        let name = browser
            .eval(
                "document.querySelector('.person[data-standing=invited] .person-name').textContent",
            )
            .await?;
        browser
            .fill("#check-in-search", name.as_str().unwrap_or_default())
            .await?;
        browser
            .wait_for(".check-in-results .check-in-button")
            .await?;
        search_longest = search_longest.max(take_longest().await?);
        let times = browser.execute_async(CHECK_IN_TO_DOM, Vec::new()).await?;
        to_dom.push(number(&times[0])?);
        to_frame.push(number(&times[1])?);
        check_in_longest = check_in_longest.max(take_longest().await?);
    }
    eprintln!(
        "activities: {} activities, {marks} marks, {} bytes; list shown {list_shown:.0} ms (longest task {list_longest:.0} ms); activity of {invitees} shown {activity_shown:.0} ms (longest task {open_longest:.0} ms); check-in to DOM median {:.1} ms, to next frame {:.1} ms; one search of a whole name {one_search:.0} ms (longest task {one_search_longest:.0} ms); longest task while typing a name {search_longest:.0} ms, while checking in {check_in_longest:.0} ms",
        ids.len(),
        bytes.len(),
        median(&mut to_dom.clone()),
        median(&mut to_frame.clone()),
    );
    Ok(json!({
        "activities": ids.len(),
        "attendance_marks": marks,
        "document_bytes": bytes.len(),
        "activities_page_shown_ms": list_shown,
        "activities_page_longest_task_ms": list_longest,
        "activity_invitees": invitees,
        "activity_shown_ms": activity_shown,
        "check_in_to_dom_ms_median": median(&mut to_dom.clone()),
        "check_in_to_dom_ms_max": to_dom.iter().copied().fold(0.0, f64::max),
        "check_in_to_next_frame_ms_median": median(&mut to_frame),
        "activity_open_longest_task_ms": open_longest,
        "check_in_one_search_ms": one_search,
        "check_in_one_search_longest_task_ms": one_search_longest,
        "check_in_search_longest_task_ms": search_longest,
        "check_in_longest_task_ms": check_in_longest,
    }))
}

/// Frame intervals while dragging on the key-users grid: each animation frame's start from
/// the one before, recorded until `window.stopFrames()`.
const RECORD_FRAMES: &str = "
    window.frameIntervals = [];
    window.moveWork = [];
    let last = null, recording = true;
    const tick = t => {
        if (last !== null) window.frameIntervals.push(t - last);
        last = t;
        if (recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.stopFrames = () => { recording = false; };
    // The main-thread work of each move: from the event's dispatch to the end of its handlers.
    let started = 0;
    window.addEventListener('pointermove', () => { started = performance.now(); }, { capture: true });
    window.addEventListener('pointermove', () => { window.moveWork.push(performance.now() - started); });
    return true;
";

/// A group of `members` members, `feedback` feedback items and 500 activities (about 50,000
/// attendance marks), on the analytics page opened by a reload: the time to its first chart
/// and the longest main-thread task meanwhile (the report is worked out in the worker), each
/// run: the first with no report kept for the group yet, the others drawing the kept one
/// first; and, for comparison, the same report worked out natively here, as the page's thread
/// would have had to (in wasm, slower still).
async fn analytics(
    browser: &Browser,
    relay: &Relay,
    members: usize,
    feedback: usize,
    runs: usize,
) -> Result<Value> {
    let answer = |e: cohort_model::ApplyError| HarnessError::Answer(e.to_string());
    let mut doc = sample::group(members, feedback, 47).map_err(answer)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    sample::add_activities(&mut doc, 500, now, 48).map_err(answer)?;
    let group = doc.hydrate();
    let marks: usize = group.activities.values().map(|a| a.attendance.len()).sum();
    let clock = cohort_model::analytics::Clock {
        now,
        utc_offset_minutes: 480,
    };
    let mut native: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            let report = cohort_model::analytics::report(&group, &group.profile.analytics, clock);
            assert_eq!(report.months.len(), 12);
            since(started)
        })
        .collect();
    browser.import_group(relay, &doc.save()).await?;
    let path = browser.current_url().await?.path().to_owned();
    let url = format!(
        "{}{}",
        relay.url(),
        path[1..].replace("/members", "/analytics")
    );
    let (mut first_chart, mut longest) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(2) {
        browser.goto(&url).await?;
        let started = Instant::now();
        browser.wait_for("svg.chart rect").await?;
        first_chart.push(since(started));
        // Long tasks are reported once they end: a moment for the last to be in.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        longest.push(longest_task_so_far(browser).await?);
    }
    // The first run opens the group with no report kept yet; the later ones draw the kept one
    // first.
    let first_open = first_chart.remove(0);
    Ok(json!({
        "members": group.members.len(),
        "feedback": group.feedback.len(),
        "activities": group.activities.len(),
        "attendance_marks": marks,
        "first_chart_ms_first_open": first_open,
        "first_chart_ms_later_runs": first_chart.clone(),
        "first_chart_ms_later_median": median(&mut first_chart),
        "longest_main_thread_task_ms_max": longest.iter().copied().fold(0.0, f64::max),
        "longest_main_thread_task_ms_runs": longest,
        "report_native_ms_median": median(&mut native),
    }))
}

/// A group of `members` members of whom 500 are key users, on the key-users page: one point
/// dragged across the grid in 120 pointer moves (real input events, through the DevTools
/// protocol), with every frame interval meanwhile, and the drop to the point redrawn.
async fn key_user_grid(browser: &Browser, relay: &Relay, members: usize) -> Result<Value> {
    let answer = |e: cohort_model::ApplyError| HarnessError::Answer(e.to_string());
    let mut doc = sample::group(members, 0, 45).map_err(answer)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let key_users = sample::add_key_users(&mut doc, 500, now, 46).map_err(answer)?;
    browser.import_group(relay, &doc.save()).await?;
    let path = browser.current_url().await?.path().to_owned();
    let url = format!(
        "{}{}",
        relay.url(),
        path[1..].replace("/members", "/key-users")
    );
    browser.goto(&url).await?;
    let started = Instant::now();
    browser
        .wait_until(&format!(
            "document.querySelectorAll('.grid-point').length === {}",
            key_users.len()
        ))
        .await?;
    let grid_shown = since(started);
    browser
        .eval("document.querySelector('.power-interest').scrollIntoView({ block: 'center' })")
        .await?;
    let at = browser
        // The point on top at the first point's centre (points of one cell overlap).
        .eval("(() => { const r = document.querySelector('.grid-point circle').getBoundingClientRect(); const x = r.x + r.width / 2, y = r.y + r.height / 2; const g = document.elementFromPoint(x, y).closest('.grid-point'); const s = document.querySelector('.power-interest').getBoundingClientRect(); return [x, y, s.x, s.y, s.width, g.dataset.member]; })()")
        .await?;
    let value = |i: usize| at[i].as_f64().unwrap_or_default();
    let (from, grid) = ((value(0), value(1)), (value(2), value(3), value(4)));
    let member = at[5].as_str().unwrap_or_default().to_owned();
    // Across the grid to its far corner's cell.
    let scale = grid.2 / 580.0;
    let to = (grid.0 + 490.0 * scale, grid.1 + 90.0 * scale);
    let mouse = |kind: &'static str, (x, y): (f64, f64)| json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1 });
    browser.execute(RECORD_FRAMES, Vec::new()).await?;
    browser
        .cdp("Input.dispatchMouseEvent", mouse("mousePressed", from))
        .await?;
    const MOVES: u32 = 120;
    for step in 1..=MOVES {
        let t = f64::from(step) / f64::from(MOVES);
        let at = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
        browser
            .cdp("Input.dispatchMouseEvent", mouse("mouseMoved", at))
            .await?;
    }
    browser
        .execute("window.stopFrames(); return true;", Vec::new())
        .await?;
    let intervals = browser.eval("window.frameIntervals").await?;
    let work = browser.eval("window.moveWork").await?;
    let started = Instant::now();
    browser
        .cdp("Input.dispatchMouseEvent", mouse("mouseReleased", to))
        .await?;
    browser
        .wait_until(&format!(
            "document.querySelector(\".grid-point[data-member='{member}']\")?.getAttribute('aria-label')?.includes('interest 5')"
        ))
        .await?;
    let drop_redrawn = since(started);
    let numbers = |value: &Value| -> Vec<f64> {
        value
            .as_array()
            .map(|all| all.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let intervals = numbers(&intervals);
    let work = numbers(&work);
    let max = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
    // A frame is late when it starts more than one 60 Hz frame (16.7 ms) after the one
    // before, with 1 ms for timer jitter.
    let late = intervals.iter().filter(|i| **i > 17.7).count();
    eprintln!(
        "key-user grid: {} points shown {grid_shown:.0} ms; drag of {MOVES} moves: {} frames, interval median {:.1} ms, max {:.1} ms, {late} late; work per move median {:.2} ms, max {:.2} ms; drop to redrawn {drop_redrawn:.0} ms",
        key_users.len(),
        intervals.len(),
        median(&mut intervals.clone()),
        max(&intervals),
        median(&mut work.clone()),
        max(&work),
    );
    Ok(json!({
        "key_users": key_users.len(),
        "grid_shown_ms": grid_shown,
        "drag_moves": MOVES,
        "drag_frames": intervals.len(),
        "drag_frame_interval_ms_median": median(&mut intervals.clone()),
        "drag_frame_interval_ms_max": max(&intervals),
        "drag_frames_over_16_7_ms": late,
        "drag_work_per_move_ms_median": median(&mut work.clone()),
        "drag_work_per_move_ms_max": max(&work),
        "drop_to_redrawn_ms": drop_redrawn,
    }))
}

/// Milliseconds since `started`.
fn since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Exports the group's members as CSV and as XLSX, then imports the CSV into a new group:
/// each from the click to the file downloaded, the preview shown or the import done, with
/// the longest main-thread task meanwhile.
async fn import_and_export(browser: &Browser, group_url: &str) -> Result<Value> {
    let data_url = group_url.replace("/members", "/data");
    browser.goto(&data_url).await?;
    browser.wait_for(".export-members-csv").await?;
    browser.execute(WATCH_LONG_TASKS, Vec::new()).await?;
    let started = Instant::now();
    browser.click(".export-members-csv").await?;
    let (name, csv) = browser.take_download(".csv").await?;
    let export_csv = since(started);
    let started = Instant::now();
    browser.click(".export-xlsx").await?;
    let (_, xlsx) = browser.take_download(".xlsx").await?;
    let export_xlsx = since(started);
    // Once more with the group loaded and the spreadsheet worker running: the first export
    // above also waited for the document the page had just asked the worker to load.
    let started = Instant::now();
    browser.click(".export-members-csv").await?;
    browser.take_download(".csv").await?;
    let export_csv_again = since(started);
    let export_longest = number(&browser.eval("window.longestTask").await?)?;

    let scratch = harness::temp_dir("cohort-bench-import-")?;
    let file = scratch.path().join(name);
    std::fs::write(&file, &csv).map_err(HarnessError::TempDir)?;
    browser.create_group("Imported").await?;
    browser.click("a.import-export").await?;
    browser.wait_for("#sheet-file").await?;
    browser.execute(WATCH_LONG_TASKS, Vec::new()).await?;
    let started = Instant::now();
    browser.choose_file("#sheet-file", &file).await?;
    browser.wait_for(".preview-summary").await?;
    let preview = since(started);
    let started = Instant::now();
    browser.click(".import-members .actions button").await?;
    browser
        .wait_until("document.querySelector('.import-status')?.textContent.startsWith('Imported')")
        .await?;
    let import = since(started);
    let import_longest = number(&browser.eval("window.longestTask").await?)?;
    let status = browser.text_of(".import-status").await?;
    eprintln!(
        "export: CSV {export_csv:.0} ms ({} bytes; again {export_csv_again:.0} ms), XLSX {export_xlsx:.0} ms ({} bytes), longest task {export_longest:.0} ms; import: preview {preview:.0} ms, import {import:.0} ms, longest task {import_longest:.0} ms; {status}",
        csv.len(),
        xlsx.len()
    );
    Ok(json!({
        "export_members_csv_ms": export_csv,
        "export_members_csv_bytes": csv.len(),
        "export_members_csv_again_ms": export_csv_again,
        "export_workbook_xlsx_ms": export_xlsx,
        "export_workbook_xlsx_bytes": xlsx.len(),
        "export_longest_task_ms": export_longest,
        "import_csv_preview_ms": preview,
        "import_csv_confirm_to_done_ms": import,
        "import_longest_task_ms": import_longest,
        "import_result": status,
    }))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn number(value: &Value) -> Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| HarnessError::Answer(format!("not a number: {value}")))
}

/// One open of a group by reloading its members page, in milliseconds.
struct Open {
    /// From navigation start to the frame that shows the members.
    shown: f64,
    /// From navigation start to the document loaded and editable.
    editable: f64,
    /// From the app asking its worker to open the group to editable: the part a bare load
    /// compares with, without the page's own start.
    open_to_editable: f64,
    /// The longest main-thread task, 0 if none took 50 ms or more.
    longest_task: f64,
}

/// One reload of the group's members page.
async fn open(browser: &Browser, url: &str) -> Result<Open> {
    browser.goto(url).await?;
    browser
        .wait_until("performance.getEntriesByName('cohort:loaded').length > 0")
        .await?;
    browser
        .wait_until("performance.getEntriesByName('cohort:members-shown').length > 0")
        .await?;
    let shown = number(
        &browser
            .eval("performance.getEntriesByName('cohort:members-shown')[0].startTime")
            .await?,
    )?;
    let loaded = number(
        &browser
            .eval("performance.getEntriesByName('cohort:loaded')[0].startTime")
            .await?,
    )?;
    let requested = number(
        &browser
            .eval("performance.getEntriesByName('cohort:open-requested')[0].startTime")
            .await?,
    )?;
    Ok(Open {
        shown,
        editable: loaded,
        open_to_editable: loaded - requested,
        longest_task: longest_task(browser).await?,
    })
}

/// The longest main-thread task since the page started, 0 if none took 50 ms or more.
async fn longest_task(browser: &Browser) -> Result<f64> {
    let tasks = browser.execute_async(LONG_TASKS, Vec::new()).await?;
    Ok(tasks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .fold(0.0, f64::max))
}

/// Times a bare Automerge load of the group's stored bytes in the app's worker.
async fn measure_bare_load(browser: &Browser, group: &str) -> Result<f64> {
    let measured = browser
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             window.cohortDiagnostics.measureBareLoad(arguments[0]).then(done, e => done(String(e)));",
            vec![json!(group)],
        )
        .await?;
    number(&measured)
}

/// Opens the group from its share link in a browser with nothing of it, as a co-organizer
/// would, and compares that with fetching the group natively plus one bare load of it.
async fn open_shared(relay: &Relay, url: &str, group: &str) -> Result<Value> {
    // What the share link's open cannot beat: the document's transfer from the relay, to a
    // native peer on the same loopback, and one bare Automerge load of it in the browser.
    let id: GroupId = group
        .parse()
        .map_err(|e: cohort_model::NotAGroupId| HarnessError::Answer(e.to_string()))?;
    let started = Instant::now();
    let mut peer = SyncPeer::connect(
        &relay.sync_url(),
        "bench-transfer",
        DocumentId::from_bytes(id.bytes()),
        Automerge::new(),
    )
    .await?;
    peer.until(std::time::Duration::from_secs(120), |peer| {
        !peer.doc.get_heads().is_empty() && peer.is_synced()
    })
    .await?;
    let transfer = started.elapsed().as_secs_f64() * 1000.0;
    peer.close().await?;

    let browser = Browser::launch(Viewport::Desktop).await?;
    // The co-organizer has had Cohort open before (its code compiled and cached), but not this
    // group; a first visit ever also compiles the app (`first_visit_longest_task_ms`).
    browser.goto(relay.url()).await?;
    browser.wait_for("main h1").await?;
    let first_visit_longest_task = longest_task(&browser).await?;
    browser.goto(relay.url()).await?;
    browser.wait_for("main h1").await?;
    let opened = open(&browser, url).await?;
    // The worker stores the group, then shows its feedback and stores its view: wait for that
    // before leaving the page.
    browser.execute_async(VIEW_STORED, Vec::new()).await?;
    // A bare load of what this browser now holds, in a fresh worker.
    browser.goto(relay.url()).await?;
    browser.wait_for(".group-item").await?;
    let bare = measure_bare_load(&browser, group).await?;
    browser.close().await?;
    let baseline = transfer + bare;
    eprintln!(
        "shared link: members shown {:.0} ms, editable {:.0} ms, longest task {:.0} ms; transfer {transfer:.0} ms + bare load {bare:.0} ms",
        opened.shown, opened.editable, opened.longest_task
    );
    Ok(json!({
        "first_render_ms": opened.shown,
        "editable_ms": opened.editable,
        "longest_task_ms": opened.longest_task,
        "first_visit_longest_task_ms": first_visit_longest_task,
        "transfer_ms": transfer,
        "bare_load_cold_ms": bare,
        "first_render_over_transfer_and_bare_load": opened.shown / baseline,
        "editable_over_transfer_and_bare_load": opened.editable / baseline,
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (members, feedback, runs) = (
        args.first().copied().unwrap_or(10_000),
        args.get(1).copied().unwrap_or(20_000),
        args.get(2).copied().unwrap_or(5),
    );

    // `key-users` alone: the key-user grid scenario.
    if std::env::args().any(|a| a == "key-users") {
        let relay = Relay::start()?;
        let browser = Browser::launch(Viewport::Desktop).await?;
        let figures = key_user_grid(&browser, &relay, members).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&figures).unwrap_or_default()
        );
        return Ok(());
    }

    // `analytics` alone: the analytics page at scale.
    if std::env::args().any(|a| a == "analytics") {
        let relay = Relay::start()?;
        let browser = Browser::launch(Viewport::Desktop).await?;
        let figures = analytics(&browser, &relay, members, feedback, runs).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&figures).unwrap_or_default()
        );
        return Ok(());
    }

    // `activities` alone: the activities scenario, for work on its screens (a minute, not ten).
    if std::env::args().any(|a| a == "activities") {
        let relay = Relay::start()?;
        let browser = Browser::launch(Viewport::Desktop).await?;
        let figures = activities(&browser, &relay, members).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&figures).unwrap_or_default()
        );
        return Ok(());
    }

    let started = Instant::now();
    let doc =
        sample::group(members, feedback, 42).map_err(|e| HarnessError::Answer(e.to_string()))?;
    let generated = started.elapsed();
    let bytes = doc.save();
    let mut native_loads: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            let loaded = GroupDoc::load(&bytes).map(|doc| doc.heads().len());
            assert!(loaded.is_ok(), "the sample loads natively");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let native_load = median(&mut native_loads);
    eprintln!(
        "generated {members} members and {feedback} feedback in {generated:?}: {} bytes",
        bytes.len()
    );

    let relay = Relay::start()?;
    let browser = Browser::launch(Viewport::Desktop).await?;
    browser.import_group(&relay, &bytes).await?;
    // The relay has the group too: the share link's open below fetches it.
    browser
        .wait_until("document.querySelector('.sync-status').dataset.state === 'synced'")
        .await?;
    let path = browser.current_url().await?.path().to_owned();
    let group = path.split('/').nth(2).unwrap_or_default().to_owned();
    let url = format!("{}{}", relay.url(), &path[1..]);

    let mut shown = Vec::new();
    let mut loaded = Vec::new();
    let mut open_to_loaded = Vec::new();
    let mut longest = Vec::new();
    let mut bare = Vec::new();
    let mut cold_bare = Vec::new();
    for run in 0..runs {
        // A bare load in a fresh worker that has not run Automerge yet, as the app's own
        // open does: the start page opens no group.
        browser.goto(relay.url()).await?;
        browser.wait_for(".group-item").await?;
        let c = measure_bare_load(&browser, &group).await?;
        cold_bare.push(c);
        let Open {
            shown: s,
            editable: l,
            open_to_editable: o,
            longest_task: t,
        } = open(&browser, &url).await?;
        // And a bare load in the worker that just opened the group, its code warm.
        let b = measure_bare_load(&browser, &group).await?;
        eprintln!(
            "open {run}: members shown {s:.0} ms, editable {l:.0} ms ({o:.0} ms after the open request), longest task {t:.0} ms; bare load {c:.0} ms cold, {b:.0} ms warm"
        );
        open_to_loaded.push(o);
        shown.push(s);
        loaded.push(l);
        longest.push(t);
        bare.push(b);
    }

    let mut dom = Vec::new();
    let mut frame = Vec::new();
    for _ in 0..20 {
        let times = browser.execute_async(EDIT_TO_DOM, Vec::new()).await?;
        dom.push(number(&times[0])?);
        frame.push(number(&times[1])?);
    }
    let table = table_changes(&browser).await?;
    // The edits left the cached view behind the document: the next open shows the cache,
    // then the document's own view.
    let stale = open(&browser, &url).await?;

    let shared = open_shared(&relay, &url, &group).await?;
    let spreadsheets = import_and_export(&browser, &url).await?;
    let activities = activities(&browser, &relay, members).await?;
    let key_users = key_user_grid(&browser, &relay, members).await?;

    let agent = browser.eval("navigator.userAgent").await?;
    let worst_task = longest.iter().copied().fold(stale.longest_task, f64::max);
    let max = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
    let report = json!({
        "members": members,
        "feedback": feedback,
        "document_bytes": bytes.len(),
        "native_load_ms": native_load,
        "browser": agent,
        "runs": runs,
        "first_render_ms": median(&mut shown),
        "editable_ms": median(&mut loaded),
        "bare_load_cold_ms": median(&mut cold_bare),
        "bare_load_warm_ms": median(&mut bare),
        "editable_over_cold_bare": median(&mut loaded) / median(&mut cold_bare),
        "open_request_to_editable_ms": median(&mut open_to_loaded),
        "open_request_to_editable_over_cold_bare": median(&mut open_to_loaded) / median(&mut cold_bare),
        "open_request_to_editable_over_warm_bare": median(&mut open_to_loaded) / median(&mut bare),
        "longest_main_thread_task_ms": worst_task,
        "edit_to_dom_ms_median": median(&mut dom),
        "edit_to_dom_ms_max": max(&dom),
        "edit_to_next_frame_ms_median": median(&mut frame),
        "members_table": table,
        "shared_link_open": shared,
        "spreadsheets_10000_members": spreadsheets,
        "activities_10000_members": activities,
        "key_user_grid_500": key_users,
        "stale_cache_open": {
            "first_render_ms": stale.shown,
            "editable_ms": stale.editable,
            "open_request_to_editable_ms": stale.open_to_editable,
            "longest_task_ms": stale.longest_task,
        },
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    browser.close().await
}
