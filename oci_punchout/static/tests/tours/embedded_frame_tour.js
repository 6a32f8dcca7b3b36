/** @odoo-module **/

/**
 * A punch-in inside the buyer's frame, driven from inside the frame: the test page
 * (static/tests/embedded_frame.html, on another site) starts it when the framed shop says it is
 * ready. Odoo's tour runner cannot run in a cross-origin frame (its DOM helpers read the parent
 * document), and the test browser drives only the top page, so the frame plays the buyer itself:
 * every page load does the step its page is for, and the last one tells the page.
 *
 * Steps: the shop shows the buyer's banner (logged in by the partitioned cross-site cookie) and
 * no cookie bar, and its link to the product is followed; on the product page the product is
 * added to the cart (the shop's own JSON route, with that cookie); on the cart page the
 * transfer button is clicked; the buyer simulator's return page (in the
 * frame, returntarget=_self) shows the received cart.
 */

const STATE_KEY = "punchout-frame-flow";
const START_PREFIX = "punchout-flow:";

function report(message) {
    window.parent.postMessage(message, "*");
}

function fail(reason) {
    sessionStorage.removeItem(STATE_KEY);
    report(`punchout-tour-failed: ${reason} (on ${location.pathname})`);
}

async function waitFor(selector, timeout = 10000) {
    const start = Date.now();
    while (Date.now() - start < timeout) {
        const element = document.querySelector(selector);
        if (element) {
            return element;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
}

async function step(productName) {
    const path = location.pathname;
    if (path === "/shop") {
        if (!(await waitFor(".o_punchout_banner"))) {
            return fail("no punchout banner: the session cookie did not reach the shop");
        }
        if (document.querySelector("#website_cookies_bar")) {
            return fail("the cookie bar covers the catalogue");
        }
        const link = [...document.querySelectorAll("a")].find(
            (a) => a.textContent.trim() === productName && a.pathname.startsWith("/shop/")
        );
        if (!link) {
            return fail(`no ${productName} in the shop`);
        }
        location.assign(link.href);
    } else if (path.startsWith("/shop/") && path !== "/shop/cart") {
        const productId = await waitFor("input[name='product_id']");
        if (!productId) {
            return fail(`no product on the page of ${productName}`);
        }
        const response = await fetch("/shop/cart/update_json", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({
                jsonrpc: "2.0",
                method: "call",
                params: { product_id: parseInt(productId.value), add_qty: 1 },
            }),
        });
        const result = (await response.json()).result;
        if (!result || result.quantity !== 1) {
            return fail("the cart update did not reach the buyer's cart");
        }
        location.assign("/shop/cart");
    } else if (path === "/shop/cart") {
        const button = await waitFor(".o_punchout_cart_buttons button[name='punchout_transfer']");
        if (!button) {
            return fail("no transfer button on the cart");
        }
        button.click();
    } else if (path.startsWith("/punchout/simulator/return/")) {
        sessionStorage.removeItem(STATE_KEY);
        const ok = await waitFor(".o_punchout_sim_ok");
        const item = document.querySelector(".o_punchout_sim_items .o_punchout_sim_description");
        if (!ok || !item || !item.textContent.includes(productName)) {
            return fail("the buyer's system did not receive the cart");
        }
        report("punchout-tour-succeeded");
    }
}

if (window.top !== window) {
    const running = sessionStorage.getItem(STATE_KEY);
    if (running) {
        step(running);
    } else {
        window.addEventListener("message", (event) => {
            if (
                event.source === window.parent &&
                typeof event.data === "string" &&
                event.data.startsWith(START_PREFIX) &&
                !sessionStorage.getItem(STATE_KEY)
            ) {
                const productName = event.data.slice(START_PREFIX.length);
                sessionStorage.setItem(STATE_KEY, productName);
                step(productName);
            }
        });
        report("punchout-frame-ready");
    }
}
