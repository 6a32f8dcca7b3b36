/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * The accountant sends the invoice of a cXML punchout order: the Send wizard proposes the
 * buyer's procurement system (the connection's channel), and the invoice shows that the buyer's
 * system accepted it.
 */
registry.category("web_tour.tours").add("oci_punchout_cxml_invoice_send", {
    steps: () => [
        {
            content: "Send the posted invoice",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_invoice_sent']",
            run: "click",
        },
        {
            content: "The buyer's procurement system is the proposed channel",
            trigger: ".modal .o-checkbox:has(label:contains('procurement system')) input:checked",
        },
        {
            content: "Send it",
            trigger: ".modal-footer button[name='action_send_and_print']",
            run: "click",
        },
        {
            content: "The invoice shows that the buyer's system accepted it",
            trigger:
                ".o_form_view button[name='action_view_punchout_messages']:contains('Accepted by the buyer')",
        },
    ],
});
