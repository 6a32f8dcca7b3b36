/** @odoo-module **/

import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

/**
 * A buyer's user, punched in from Ariba (cXML), shops with the buyer's prices and transfers the
 * cart. The tour starts on the one-time StartPage of a PunchOutSetupRequest; the cart message
 * returns to the buyer simulator, which decodes and checks it.
 */
registry.category("web_tour.tours").add("oci_punchout_cxml_shop_and_transfer", {
    steps: () => [
        {
            content: "The banner names the buyer and the system the cart goes back to",
            trigger:
                ".o_punchout_banner:contains('Buyer Industries GmbH') " +
                "button[name='punchout_transfer']:contains('Transfer to Ariba')",
        },
        ...tourUtils.addToCart({ productName: "Ballpoint pen" }),
        {
            content: "The product page shows the buyer's net price",
            trigger: ".oe_price:contains('18.00')",
        },
        tourUtils.goToCart({ quantity: 1 }),
        {
            content: "The cart offers the transfer, not the checkout",
            trigger: ".o_punchout_cart_buttons:not(:has(a[name='website_sale_main_button']))",
        },
        {
            content: "Transfer the cart to Ariba",
            trigger: ".o_punchout_cart_buttons button[name='punchout_transfer']",
            run: "click",
        },
        {
            content: "The buyer's system received the cart message and its checks pass",
            trigger: ".o_punchout_sim_cxml_return .o_punchout_sim_cxml_checks:not(:has(.o_punchout_sim_check_failed))",
        },
        {
            content: "with the product",
            trigger: ".o_punchout_sim_cxml_items td.o_punchout_sim_part_id:contains('PEN-BLUE')",
        },
        {
            content: "its description",
            trigger: ".o_punchout_sim_cxml_items td.o_punchout_sim_description:contains('Ballpoint pen')",
        },
        {
            content: "and the buyer's price",
            trigger: ".o_punchout_sim_cxml_items td.o_punchout_sim_price:contains('18')",
        },
        {
            content: "The approved cart can be ordered",
            trigger: ".o_punchout_sim_cxml_order_form button.o_punchout_sim_cxml_send_order",
        },
    ],
});
