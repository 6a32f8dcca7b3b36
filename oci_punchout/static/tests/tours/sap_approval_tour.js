/** @odoo-module **/

import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

/**
 * After the OCI cart, the simulated SAP: the head buyer approves it and SAP e-mails the
 * purchase order (its PO print) to the supplier's order inbox, where it confirms the quotation.
 */
registry.category("web_tour.tours").add("oci_punchout_sap_approval", {
    steps: () => [
        ...tourUtils.addToCart({ productName: "Ballpoint pen" }),
        tourUtils.goToCart({ quantity: 1 }),
        {
            content: "Transfer the cart to SAP",
            trigger: ".o_punchout_cart_buttons button[name='punchout_transfer']",
            run: "click",
        },
        {
            content: "SAP offers the approval of the cart it received",
            trigger: ".o_punchout_sim_approval:contains('orders-buyer-sap@supplier.example')",
        },
        {
            content: "The purchase order goes as SAP's PO print",
            trigger: ".o_punchout_sim_approval select[name='po_format']",
            run: "select pdf",
        },
        {
            content: "The admin types the connection's password",
            trigger: ".o_punchout_sim_approval input[name='password']",
            run: "edit s3cret-Pässword",
        },
        {
            content: "Our mail server verified the sender",
            trigger: ".o_punchout_sim_approval input[name='verified']:checked",
        },
        {
            content: "The head buyer approves",
            trigger: ".o_punchout_sim_approve",
            run: "click",
        },
        {
            content: "The e-mailed purchase order confirmed the quotation",
            trigger: ".o_punchout_sim_confirmed:contains('is confirmed with the buyer')",
        },
    ],
});
